// Package fakeclerk is a local test double of the part of Clerk's Backend
// API that clerksync reads: users, organizations and organization
// memberships. It serves the paths, query parameters and JSON that
// github.com/clerk/clerk-sdk-go/v2 v2.7.0 sends and decodes, so tests drive
// it with the real SDK:
//
//	srv := fakeclerk.New()
//	defer srv.Close()
//	srv.Generate(1, 3000, 200, 15)
//	users := user.NewClient(srv.Config())
//	page, err := users.List(ctx, &user.ListParams{ListParams: clerk.ListParams{Limit: clerk.Int64(500)}})
//
// # What it serves
//
// All under URL(), which ends in /v1 as clerk.BackendConfig.URL expects:
//
//	GET /v1/users                                    a bare JSON array; limit, offset, order_by, user_id
//	GET /v1/users/count                              {"object":"total_count","total_count":N}
//	GET /v1/users/{user_id}                          a user, or 404 resource_not_found
//	GET /v1/users/{user_id}/organization_memberships {"data":[…],"total_count":N}; limit, offset
//	GET /v1/organizations                            {"data":[…],"total_count":N}; limit, offset, order_by,
//	                                                 include_members_count, user_id
//	GET /v1/organizations/{id_or_slug}               an organization, or 404 resource_not_found
//	GET /v1/organizations/{organization_id}/memberships
//	                                                 {"data":[…],"total_count":N}; limit, offset, order_by, user_id
//	GET /v1/organization_memberships                 every membership of the instance, as the organization's list;
//	                                                 limit, offset, order_by (clerk-sdk-go has no method for it)
//
// limit defaults to 10 and must be 1 to 500; offset must be 0 or more.
// Lists are ordered newest first (-created_at) unless order_by says
// otherwise; users also order by updated_at, organizations by name and
// members_count. user_id filters take up to 100 ids, each optionally
// prefixed with + (include) or - (exclude). Every other parameter the real
// API accepts is answered with a 422 whose code is "fakeclerk_unsupported",
// so a test never silently gets an unfiltered answer. /users/count accepts
// and ignores limit, offset and order_by, because the SDK's user.List sends
// its list parameters to both calls.
//
// Every request needs "Authorization: Bearer <Key()>"; without it the
// answer is 401 with Clerk's error JSON (authorization_header_format_invalid
// for a missing or malformed header, clerk_key_invalid for a wrong key).
// Errors have Clerk's shape, {"errors":[{"message","long_message","code"}],
// "clerk_trace_id"}, and the Clerk-Trace-Id header, so the SDK returns them
// as *clerk.APIErrorResponse.
//
// # State
//
// Records live in memory, one small struct each (User, Organization,
// Membership); JSON is rendered per request, so 50,000 users take about
// 22 MiB. PutUser, DeleteUser and the others are safe to call at any time,
// from any goroutine, including from a BeforePage hook while a listing is
// being paged. Timestamps come from a logical clock in milliseconds that
// starts at Epoch and only moves forward, so every change gets an
// updated_at later than the record's previous one and every deletion a
// stamp later than the record's last updated_at. Clerk never reuses an id:
// putting a deleted id panics.
//
// # Faults
//
// RateLimit makes it answer 429 with Retry-After (whole seconds) and Clerk's
// too_many_requests error over a sliding window, as Clerk does at 100
// requests per 10 seconds per development instance. Fail queues faults for
// the next requests under a path prefix: any status with Clerk's error JSON
// or a raw body (a proxy's HTML 502, a malformed 200), a dropped connection,
// or a request held until a channel closes or the client gives up.
//
// # Events
//
// Event renders the webhook body Clerk would send for a record's change
// (user.created, organization.deleted, organizationMembership.updated, …)
// in Clerk's envelope, from the same state the API serves, so a test can
// deliver webhooks and list the API and compare one with the other.
//
// # Not modelled
//
// Writes through HTTP (the double is read-only over HTTP; tests change
// state with Go methods), search and the other filters (query,
// email_address, …), the starting_after cursor, orderings other than those
// above, phone numbers, web3 wallets, external and enterprise accounts,
// invitations, domains, roles and permissions beyond org:admin and
// org:member. Validation errors (a bad limit, an unknown order_by) use
// Clerk's documented codes, but their exact messages are not verified
// against the real API.
package fakeclerk
