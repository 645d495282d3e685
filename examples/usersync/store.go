package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed77920f6a/clerkwebhook"
)

// The order rule.
//
// Svix delivers each message at least once and in no particular order, so
// every event is taken as one version of one row, with a stamp:
//
//	*.created, *.updated            data.updated_at
//	*.deleted                       the envelope's timestamp (a deleted
//	                                stub has no updated_at); the row becomes
//	                                a tombstone: deleted_at is set
//
// and a version replaces the stored row only when its stamp is newer than
// the row's, COALESCE(deleted_at, updated_at); a deletion also replaces a
// version of the same stamp (deleted is final). So an older version never
// overwrites a newer one, a duplicate changes nothing, and a deleted row
// comes back only with a version stamped after its deletion, which Clerk
// does not send (it never reuses an id). Each version is stored by one
// INSERT … ON CONFLICT DO UPDATE … WHERE statement: atomic on its own, and
// two versions of one row, stored at once, are serialized by the row's
// conflict, on PostgreSQL as on SQLite. The same statements run on both.
const newerThanStored = `COALESCE(excluded.deleted_at, excluded.updated_at) > COALESCE(%[1]s.deleted_at, %[1]s.updated_at)
	OR excluded.deleted_at = COALESCE(%[1]s.deleted_at, %[1]s.updated_at)`

// putSQL returns the statement that stores a version of a row of table:
// it inserts the row, or overwrites the stored one when newerThanStored.
// The first column is the key, "id".
func putSQL(table string, columns ...string) string {
	params := make([]string, len(columns))
	sets := make([]string, 0, len(columns)-1)
	for i, c := range columns {
		params[i] = fmt.Sprintf("$%d", i+1)
		if i > 0 {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)\nON CONFLICT (id) DO UPDATE SET %s\nWHERE %s",
		table, strings.Join(columns, ", "), strings.Join(params, ", "), strings.Join(sets, ", "),
		fmt.Sprintf(newerThanStored, table))
}

var (
	putUserSQL = putSQL("users",
		"id", "email", "first_name", "last_name", "image_url", "public_metadata",
		"created_at", "updated_at", "deleted_at")
	putOrganizationSQL = putSQL("organizations",
		"id", "name", "slug", "image_url", "public_metadata",
		"created_at", "updated_at", "deleted_at")
	putMembershipSQL = putSQL("organization_memberships",
		"id", "organization_id", "user_id", "role",
		"created_at", "updated_at", "deleted_at")
)

// A store is the app's copy of Clerk's users, organizations and
// memberships. Its writes follow the order rule above; its reads leave out
// tombstones.
type store struct{ db *sql.DB }

// A userRow is one version of a user. A tombstone has only ID and
// DeletedAt: the deleted stub carries nothing else, and the person's data
// is erased with it.
type userRow struct {
	ID                   string
	Email                *string // the primary email address
	FirstName, LastName  *string
	ImageURL             *string
	PublicMetadata       *string // JSON
	CreatedAt, UpdatedAt *int64  // Clerk's milliseconds
	DeletedAt            *int64  // the deletion's envelope timestamp
}

// An organizationRow is one version of an organization; a tombstone has
// the ID, the Slug the deleted stub carries, and DeletedAt.
type organizationRow struct {
	ID                   string
	Name, Slug           *string
	ImageURL             *string
	PublicMetadata       *string
	CreatedAt, UpdatedAt *int64
	DeletedAt            *int64
}

// A membershipRow is one version of an organization membership (its ID is
// orgmem_…). organizationMembership.deleted carries the whole membership,
// so a tombstone keeps every field, with DeletedAt set.
type membershipRow struct {
	ID, OrganizationID, UserID, Role string
	CreatedAt, UpdatedAt             *int64
	DeletedAt                        *int64
}

// Text the databases cannot both store as it is. PostgreSQL's text holds no
// NUL character (U+0000, "\u0000" in JSON, which a user's name may carry),
// and refuses it with an error every retry repeats; SQLite stores it. So
// that both hold the same, and such an event applies at once, every text
// value is stored with U+0000 replaced by U+FFFD, the replacement character,
// as Go's JSON decoder does for invalid UTF-8. An id is a key, not text to
// mend: an id with a NUL is refused (the event is cancelled; Clerk's ids
// never have one). Invalid UTF-8 never reaches here: the decoder has
// replaced it already.

// storable returns s, or a copy with every U+0000 replaced by U+FFFD.
func storable(s *string) *string {
	if s == nil || !strings.ContainsRune(*s, 0) {
		return s
	}
	r := strings.ReplaceAll(*s, "\x00", "\uFFFD")
	return &r
}

// checkIDs refuses an id no database can key on the same way.
func checkIDs(kind string, ids ...string) error {
	for _, id := range ids {
		if strings.ContainsRune(id, 0) {
			return clerkwebhook.Permanent(fmt.Errorf("%s id %q has a NUL character", kind, id))
		}
	}
	return nil
}

// storeErr wraps err from storing a row. A data error from PostgreSQL (SQLSTATE
// class 22: a value the column cannot hold) is one no retry can fix: the job
// is cancelled at once, not retried for weeks.
func storeErr(what, id string, err error) error {
	err = fmt.Errorf("storing %s %s: %w", what, id, err)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return clerkwebhook.Permanent(err)
	}
	return err
}

func (s *store) putUser(ctx context.Context, r userRow) error {
	if err := checkIDs("user", r.ID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, putUserSQL, r.ID, storable(r.Email), storable(r.FirstName), storable(r.LastName),
		storable(r.ImageURL), storable(r.PublicMetadata), r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("user", r.ID, err)
	}
	return nil
}

func (s *store) putOrganization(ctx context.Context, r organizationRow) error {
	if err := checkIDs("organization", r.ID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, putOrganizationSQL, r.ID, storable(r.Name), storable(r.Slug), storable(r.ImageURL),
		storable(r.PublicMetadata), r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("organization", r.ID, err)
	}
	return nil
}

func (s *store) putMembership(ctx context.Context, r membershipRow) error {
	if err := checkIDs("organization membership", r.ID, r.OrganizationID, r.UserID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, putMembershipSQL, r.ID, r.OrganizationID, r.UserID, *storable(&r.Role),
		r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("organization membership", r.ID, err)
	}
	return nil
}

// errNotFound is what the reads return for an id never seen or deleted.
var errNotFound = errors.New("not found")

// A user is what GET /users/{id} answers.
type user struct {
	ID        string  `json:"id"`
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	ImageURL  *string `json:"image_url"`
	UpdatedAt int64   `json:"updated_at"`
}

// An organization is what GET /organizations/{id} answers.
type organization struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Slug      *string `json:"slug"`
	UpdatedAt int64   `json:"updated_at"`
}

// A member is one element of what GET /organizations/{id}/members answers.
type member struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// user returns the user with id, or errNotFound if there is none or it is
// deleted.
func (s *store) user(ctx context.Context, id string) (*user, error) {
	u := &user{}
	err := s.db.QueryRowContext(ctx, `SELECT id, email, first_name, last_name, image_url, updated_at
		FROM users WHERE id = $1 AND deleted_at IS NULL`, id).
		Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.ImageURL, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	return u, err
}

// organization returns the organization with id, or errNotFound if there
// is none or it is deleted.
func (s *store) organization(ctx context.Context, id string) (*organization, error) {
	o := &organization{}
	err := s.db.QueryRowContext(ctx, `SELECT id, name, slug, updated_at
		FROM organizations WHERE id = $1 AND deleted_at IS NULL`, id).
		Scan(&o.ID, &o.Name, &o.Slug, &o.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	return o, err
}

// members returns the members of organization id, sorted by user id, or
// errNotFound if the organization is unknown or deleted. A membership is
// left out when it is deleted, and when its user is: Clerk removes a
// deleted user's memberships, but the events saying so may arrive late or
// not at all. The rows stay, so the rule holds whatever the order in
// which the events arrive.
func (s *store) members(ctx context.Context, id string) ([]member, error) {
	if _, err := s.organization(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.user_id, m.role
		FROM organization_memberships m LEFT JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 AND m.deleted_at IS NULL AND u.deleted_at IS NULL
		ORDER BY m.user_id, m.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []member{}
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.UserID, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
