package clerksync

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// A Dialect is the SQL dialect of the database a Mirror lives in.
type Dialect string

// The dialects: SQLite through modernc.org/sqlite ("sqlite" in
// database/sql), PostgreSQL through pgx's database/sql adapter
// (github.com/jackc/pgx/v5/stdlib, "pgx"). The statements are the same on
// both; only the migrations differ.
const (
	SQLite     Dialect = "sqlite"
	PostgreSQL Dialect = "postgres"
)

// mustBeValid panics, naming fn, unless d is one of the dialects.
func (d Dialect) mustBeValid(fn string) {
	if d != SQLite && d != PostgreSQL {
		panic(fmt.Sprintf("clerksync: %s: unknown dialect %q (want clerksync.SQLite or clerksync.PostgreSQL)", fn, string(d)))
	}
}

// The mirror's schema: numbered .sql files, one directory per dialect,
// applied in name order. A change is a new file (0002_….sql); a file that
// has run is never edited.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrate creates the mirror's tables in db, or upgrades them: it applies
// the migrations of dialect d that db has not run yet, in one transaction,
// and records each in the table clerksync_migrations. Processes starting at
// once on one database run them once: on PostgreSQL an advisory lock
// serializes them, on SQLite the write lock does (open the file with
// _txlock=immediate, as the package documentation says). An unknown
// dialect panics. On PostgreSQL the tables
// go to the first schema of the connection's search_path.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	d.mustBeValid("Migrate")
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("clerksync: migrating: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if d == PostgreSQL {
		// Any constant: the key of this package's migration lock, taken
		// before anything else (two CREATE TABLE IF NOT EXISTS at once
		// can fail on PostgreSQL).
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7354262)"); err != nil {
			return fmt.Errorf("clerksync: migrating: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS clerksync_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("clerksync: migrating: %w", err)
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clerksync_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return fmt.Errorf("clerksync: migrating: %w", err)
		}
		if n > 0 {
			continue
		}
		script, err := fs.ReadFile(migrations, path.Join(dir, name))
		if err != nil {
			return err
		}
		// The whole file in one call: modernc.org/sqlite runs every
		// statement of it, and pgx does too when there are no arguments
		// (the simple protocol).
		if _, err := tx.ExecContext(ctx, string(script)); err != nil {
			return fmt.Errorf("clerksync: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO clerksync_migrations (name) VALUES ($1)`, name); err != nil {
			return fmt.Errorf("clerksync: migrating: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("clerksync: migrating: %w", err)
	}
	return nil
}
