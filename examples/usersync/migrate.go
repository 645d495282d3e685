package main

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// The app's schema: numbered .sql files, one directory per dialect, applied
// in name order at start-up. Add a change as a new file (0002_….sql); never
// edit one that has run.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrate applies the migrations of the dialect that db has not run yet, in
// one transaction, and records each in usersync_migrations. Several
// processes starting at once on one database run them once: on PostgreSQL
// an advisory lock serializes them, on SQLite the transaction's BEGIN
// IMMEDIATE does.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
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
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if d == postgres {
		// Any constant: the key of this app's migration lock.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7354261)"); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS usersync_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM usersync_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return err
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
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO usersync_migrations (name) VALUES ($1)`, name); err != nil {
			return err
		}
	}
	return tx.Commit()
}
