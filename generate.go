package clerkwebhook

// The package's generated code, from one place: "go generate" at the root
// runs both generators, in this order, since the decoders' roots are read
// from eventtypes_gen.go.
//
//   - eventtypes_gen.go: the event type constants, EventTypes, Known and the
//     payload registry, from the one table in internal/gen/eventtypes;
//   - decode_gen.go: a decodeJSON method per payload struct, from the struct
//     definitions of the payload files (internal/gen/decoders).
//
// Each generator's TestGeneratedFileIsCurrent fails when its file is stale,
// and TestOneGeneratePlace when a go:generate line appears elsewhere.

//go:generate go run ./internal/gen/eventtypes
//go:generate go run ./internal/gen/decoders
