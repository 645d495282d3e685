package pgstore

// statements is every SQL statement a Store runs, built once in New from the
// quoted (pgx.Identifier) names of its table and index. Parameters: $1 the
// message id (bytea), $2 the owner (a ClaimToken), $3 an interval (the lease
// or the retention).
type statements struct {
	createTable, createIndex string
	claim, state             string
	complete, release        string
	renew, holder            string
	markDone, prune          string
}

func newStatements(table, index string) statements {
	return statements{
		// The id is bytea, not text: message ids are opaque, and text
		// cannot hold a NUL byte or invalid UTF-8.
		createTable: `CREATE TABLE IF NOT EXISTS ` + table + ` (
	id         bytea PRIMARY KEY,
	state      text NOT NULL CHECK (state IN ('processing', 'done')),
	owner      text NOT NULL,
	expires_at timestamptz NOT NULL
)`,
		// For Prune, and for any look at what is about to expire.
		createIndex: `CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + table + ` (expires_at)`,

		// Claim in one statement: insert the id, or take over a row whose
		// window has ended (the lease of a 'processing' row, the retention
		// of a 'done' one). A row returned means the caller holds the
		// claim; none means someone else holds it or it is done.
		claim: `INSERT INTO ` + table + ` AS m (id, state, owner, expires_at)
VALUES ($1, 'processing', $2, now() + $3::interval)
ON CONFLICT (id) DO UPDATE
SET state = 'processing', owner = excluded.owner, expires_at = excluded.expires_at
WHERE m.expires_at <= now()
RETURNING true`,
		state: `SELECT state FROM ` + table + ` WHERE id = $1`,

		// Only the owner's own claim in progress: a claim taken over has
		// another owner, and a done row is final.
		complete: `UPDATE ` + table + ` SET state = 'done', expires_at = now() + $3::interval
WHERE id = $1 AND owner = $2 AND state = 'processing'`,
		release: `DELETE FROM ` + table + ` WHERE id = $1 AND owner = $2 AND state = 'processing'`,

		// Renew: the owner's claim in progress, to now() + the lease ($3),
		// unless a transaction holds the row (SKIP LOCKED: never wait).
		renew: `UPDATE ` + table + ` AS m SET expires_at = now() + $3::interval
FROM (SELECT id FROM ` + table + ` WHERE id = $1 FOR UPDATE SKIP LOCKED) AS unlocked
WHERE m.id = unlocked.id AND m.owner = $2 AND m.state = 'processing'`,
		holder: `SELECT state, owner FROM ` + table + ` WHERE id = $1`,

		// InTx: record the id as done inside the callback's transaction,
		// whoever holds its claim in progress (the Handler's own claim, or
		// a claim the row lock makes wait), unless it is done already and
		// still remembered. The row stays locked until the transaction
		// ends, so concurrent deliveries wait here, and then see it done.
		markDone: `INSERT INTO ` + table + ` AS m (id, state, owner, expires_at)
VALUES ($1, 'done', $2, now() + $3::interval)
ON CONFLICT (id) DO UPDATE
SET state = 'done', owner = excluded.owner, expires_at = excluded.expires_at
WHERE m.state = 'processing' OR m.expires_at <= now()
RETURNING true`,

		// Done rows past their retention, and claims abandoned for longer
		// than a retention after their lease ended ($1: the retention).
		prune: `DELETE FROM ` + table + `
WHERE expires_at <= now() AND (state = 'done' OR expires_at <= now() - $1::interval)`,
	}
}
