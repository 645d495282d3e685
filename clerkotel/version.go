package clerkotel

// ScopeName is the instrumentation scope of the observer's meter and tracer:
// this package's import path. It is the otel_scope_name of its series in
// Prometheus, and what a View in the SDK selects its instruments by.
const ScopeName = "github.com/seed77920f6a/clerkwebhook/clerkotel"

// Version is this module's version, recorded as the instrumentation scope's
// version on every metric and span (otel_scope_version in Prometheus), so
// that a change in what the observer records can be told apart by release.
// It changes only with a release of the module.
const Version = "0.1.0"
