-- The mirror of Clerk's users, organizations and memberships (SQLite).
--
-- One row per Clerk id ever seen, live or a tombstone. Times are Clerk's:
-- Unix milliseconds. updated_at is the updated_at of the version the row
-- shows; deleted_at is the deletion's stamp: a *.deleted event's envelope
-- timestamp, or when a reconcile confirmed the deletion. A version changes
-- a row only if its stamp is newer than COALESCE(deleted_at, updated_at),
-- and a version read from the Backend API never changes a tombstone: see
-- store.go.
--
-- reconciled_run is the id of the last reconcile run that read the row
-- from the Backend API (clerksync_reconcile_runs.id): a live row a run did
-- not read is one whose deletion it asks Clerk to confirm.
--
-- No foreign keys: events arrive in any order, so a membership can come
-- before its organization or its user.

CREATE TABLE users (
	id              TEXT PRIMARY KEY,
	email           TEXT,    -- the primary email address; NULL when there is none
	first_name      TEXT,
	last_name       TEXT,
	image_url       TEXT,
	public_metadata TEXT,    -- the JSON object as Clerk sent it
	created_at      INTEGER,
	updated_at      INTEGER, -- NULL for a tombstone stored before any version
	deleted_at      INTEGER, -- NULL while the user exists
	reconciled_run  INTEGER
);

CREATE TABLE organizations (
	id              TEXT PRIMARY KEY,
	name            TEXT,
	slug            TEXT,
	image_url       TEXT,
	public_metadata TEXT,
	created_at      INTEGER,
	updated_at      INTEGER,
	deleted_at      INTEGER,
	reconciled_run  INTEGER
);

CREATE TABLE organization_memberships (
	id              TEXT PRIMARY KEY, -- orgmem_...
	organization_id TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	role            TEXT NOT NULL,
	created_at      INTEGER,
	updated_at      INTEGER,
	deleted_at      INTEGER,
	reconciled_run  INTEGER
);

CREATE INDEX organization_memberships_by_organization
	ON organization_memberships (organization_id, user_id);

-- One row per reconcile run. unfinished is 1 while the run is not over and
-- NULL after: its unique index allows one unfinished run at a time. The
-- process running it holds a lease (holder, lease_until in Unix
-- milliseconds) that it renews; a run whose lease expired is taken over
-- and resumed where phase and cursor say. stats is the run's counts, JSON.
CREATE TABLE clerksync_reconcile_runs (
	id          INTEGER PRIMARY KEY,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	outcome     TEXT,    -- completed or abandoned; NULL while unfinished
	unfinished  INTEGER UNIQUE,
	phase       TEXT NOT NULL,
	cursor      TEXT NOT NULL,
	stats       TEXT NOT NULL,
	holder      TEXT,
	lease_until INTEGER
);
