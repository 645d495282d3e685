// Package redisstore is a clerkwebhook.Deduplicator on Redis, shared by
// every replica of a service.
package redisstore
