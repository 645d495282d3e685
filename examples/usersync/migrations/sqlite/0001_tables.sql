-- The synced copy of Clerk's users, organizations and memberships (SQLite).
--
-- One row per Clerk id ever seen, live or a tombstone. Times are Clerk's:
-- Unix milliseconds. updated_at is data.updated_at of the version the row
-- shows; deleted_at, set by a *.deleted event, is that event's envelope
-- timestamp. An event changes a row only if its stamp is newer than
-- COALESCE(deleted_at, updated_at): see store.go.
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
	deleted_at      INTEGER  -- NULL while the user exists
);

CREATE TABLE organizations (
	id              TEXT PRIMARY KEY,
	name            TEXT,
	slug            TEXT,
	image_url       TEXT,
	public_metadata TEXT,
	created_at      INTEGER,
	updated_at      INTEGER,
	deleted_at      INTEGER
);

CREATE TABLE organization_memberships (
	id              TEXT PRIMARY KEY, -- orgmem_...
	organization_id TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	role            TEXT NOT NULL,
	created_at      INTEGER,
	updated_at      INTEGER,
	deleted_at      INTEGER
);

CREATE INDEX organization_memberships_by_organization
	ON organization_memberships (organization_id, user_id);
