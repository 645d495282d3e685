// Package clerkotel records the deliveries of a clerkwebhook.Handler as
// OpenTelemetry metrics and spans.
package clerkotel
