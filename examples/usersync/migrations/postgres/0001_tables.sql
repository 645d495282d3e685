-- The synced copy of Clerk's users, organizations and memberships
-- (PostgreSQL), in the first schema of the connection's search_path.
--
-- One row per Clerk id ever seen, live or a tombstone. Times are Clerk's:
-- Unix milliseconds. updated_at is data.updated_at of the version the row
-- shows; deleted_at, set by a *.deleted event, is that event's envelope
-- timestamp. An event changes a row only if its stamp is newer than
-- COALESCE(deleted_at, updated_at): see store.go.
--
-- No foreign keys: events arrive in any order, so a membership can come
-- before its organization or its user. Metadata is text, not jsonb: jsonb
-- refuses the escape \u0000, which a user's metadata may hold, and such an
-- event could then never be applied. Cast it (public_metadata::jsonb) to
-- query it. Ids are COLLATE "C": opaque ASCII, sorted byte by byte (as on
-- SQLite) whatever the database's locale.

CREATE TABLE users (
	id              text COLLATE "C" PRIMARY KEY,
	email           text,   -- the primary email address; NULL when there is none
	first_name      text,
	last_name       text,
	image_url       text,
	public_metadata text,   -- the JSON object as Clerk sent it
	created_at      bigint,
	updated_at      bigint, -- NULL for a tombstone stored before any version
	deleted_at      bigint  -- NULL while the user exists
);

CREATE TABLE organizations (
	id              text COLLATE "C" PRIMARY KEY,
	name            text,
	slug            text,
	image_url       text,
	public_metadata text,
	created_at      bigint,
	updated_at      bigint,
	deleted_at      bigint
);

CREATE TABLE organization_memberships (
	id              text COLLATE "C" PRIMARY KEY, -- orgmem_...
	organization_id text COLLATE "C" NOT NULL,
	user_id         text COLLATE "C" NOT NULL,
	role            text NOT NULL,
	created_at      bigint,
	updated_at      bigint,
	deleted_at      bigint
);

CREATE INDEX organization_memberships_by_organization
	ON organization_memberships (organization_id, user_id);
