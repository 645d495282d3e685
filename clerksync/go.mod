module github.com/seed77920f6a/clerkwebhook/clerksync

go 1.26.0

require (
	github.com/clerk/clerk-sdk-go/v2 v2.7.0
	github.com/jackc/pgx/v5 v5.12.0
	github.com/riverqueue/river v0.51.2
	github.com/riverqueue/river/riverdriver v0.51.2
	github.com/riverqueue/river/riverdriver/riverpgxv5 v0.51.2
	github.com/riverqueue/river/riverdriver/riversqlite v0.51.2
	github.com/riverqueue/river/rivertype v0.51.2
	github.com/seed77920f6a/clerkwebhook v0.1.0
	github.com/seed77920f6a/clerkwebhook/clerkriver v0.1.0
	github.com/stretchr/testify v1.12.1
	modernc.org/sqlite v1.62.0
)
