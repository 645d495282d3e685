-- The mirror of Clerk's users, organizations and memberships (PostgreSQL),
-- in the first schema of the connection's search_path.
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
-- before its organization or its user. Metadata is text, not jsonb: jsonb
-- refuses the escape \u0000, which a user's metadata may hold, and such a
-- version could then never be stored. Cast it (public_metadata::jsonb) to
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
	deleted_at      bigint, -- NULL while the user exists
	reconciled_run  bigint
);

CREATE TABLE organizations (
	id              text COLLATE "C" PRIMARY KEY,
	name            text,
	slug            text,
	image_url       text,
	public_metadata text,
	created_at      bigint,
	updated_at      bigint,
	deleted_at      bigint,
	reconciled_run  bigint
);

CREATE TABLE organization_memberships (
	id              text COLLATE "C" PRIMARY KEY, -- orgmem_...
	organization_id text COLLATE "C" NOT NULL,
	user_id         text COLLATE "C" NOT NULL,
	role            text NOT NULL,
	created_at      bigint,
	updated_at      bigint,
	deleted_at      bigint,
	reconciled_run  bigint
);

CREATE INDEX organization_memberships_by_organization
	ON organization_memberships (organization_id, user_id);

-- One row per reconcile run. unfinished is 1 while the run is not over and
-- NULL after: its unique index allows one unfinished run at a time. The
-- process running it holds a lease (holder, lease_until in Unix
-- milliseconds) that it renews; a run whose lease expired is taken over
-- and resumed where phase and cursor say. stats is the run's counts, JSON.
CREATE TABLE clerksync_reconcile_runs (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	started_at  bigint NOT NULL,
	finished_at bigint,
	outcome     text,   -- completed or abandoned; NULL while unfinished
	unfinished  integer UNIQUE,
	phase       text NOT NULL,
	cursor      text NOT NULL,
	stats       text NOT NULL,
	holder      text,
	lease_until bigint
);
