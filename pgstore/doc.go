// Package pgstore is a clerkwebhook.Deduplicator on PostgreSQL, shared by
// every replica of a service, with exactly-once effects for the writes a
// callback makes in the same transaction (Store.InTx).
package pgstore
