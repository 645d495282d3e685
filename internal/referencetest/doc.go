// Package referencetest compares this repository's verifier with the
// verifiers Clerk's deliveries meet elsewhere: Svix's Go library (the
// sender's own) and the Standard Webhooks reference library, on the same
// deliveries. It is a module of its own, never released, so that the core
// module keeps its requirements (the standard library, and in its tests the
// Standard Webhooks reference and testify) while Svix's library and what it
// brings (its API client's dependencies) stay out of it.
package referencetest
