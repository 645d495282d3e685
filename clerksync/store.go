package clerksync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed77920f6a/clerkwebhook"
)

// The order rule.
//
// Svix delivers each message at least once and in no particular order, and
// a reconcile reads Clerk's records while webhooks keep arriving, so every
// change is taken as one version of one row, with a stamp:
//
//	*.created, *.updated            data.updated_at
//	a record read from the API      its updated_at
//	*.deleted                       the envelope's timestamp (a deleted
//	                                stub has no updated_at); the row becomes
//	                                a tombstone: deleted_at is set
//	a deletion a reconcile confirmed
//	                                when Clerk confirmed it (see tombstoneAt)
//
// and a version replaces the stored row only when its stamp is newer than
// the row's, COALESCE(deleted_at, updated_at); a deletion also replaces a
// version of the same stamp (deleted is final). So an older version never
// overwrites a newer one, a duplicate changes nothing, and a deleted row
// comes back only with a webhook version stamped after its deletion, which
// Clerk does not send (it never reuses an id). A version read from the API
// never changes a tombstone at all, whatever its stamp: a listing may have
// been read before the deletion, and the clocks that stamped the two may
// differ.
//
// Each version is stored by one INSERT … ON CONFLICT DO UPDATE … WHERE
// statement: atomic on its own, and two versions of one row, stored at
// once, are serialized by the row's conflict, on PostgreSQL as on SQLite.
// The same statements run on both.
const newerThanStored = `(COALESCE(excluded.deleted_at, excluded.updated_at) > COALESCE(%[1]s.deleted_at, %[1]s.updated_at)
	OR excluded.deleted_at = COALESCE(%[1]s.deleted_at, %[1]s.updated_at))`

// putSQL returns the statement that stores a version of a row of table:
// it inserts the row, or overwrites the stored one when newerThanStored
// and, for a version read from the API (fromAPI), when the stored row is
// not a tombstone. The first column is the key, "id".
func putSQL(table string, fromAPI bool, columns ...string) string {
	params := make([]string, len(columns))
	sets := make([]string, 0, len(columns)-1)
	for i, c := range columns {
		params[i] = fmt.Sprintf("$%d", i+1)
		if i > 0 {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	where := fmt.Sprintf(newerThanStored, table)
	if fromAPI {
		where += " AND " + table + ".deleted_at IS NULL"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)\nON CONFLICT (id) DO UPDATE SET %s\nWHERE %s",
		table, strings.Join(columns, ", "), strings.Join(params, ", "), strings.Join(sets, ", "), where)
}

var (
	userColumns       = []string{"id", "email", "first_name", "last_name", "image_url", "public_metadata", "created_at", "updated_at", "deleted_at"}
	orgColumns        = []string{"id", "name", "slug", "image_url", "public_metadata", "created_at", "updated_at", "deleted_at"}
	membershipColumns = []string{"id", "organization_id", "user_id", "role", "created_at", "updated_at", "deleted_at"}

	// The statements, by table and by where the version comes from
	// (false: a webhook or a confirmed deletion; true: the API).
	putUserSQL       = [2]string{putSQL("users", false, userColumns...), putSQL("users", true, userColumns...)}
	putOrgSQL        = [2]string{putSQL("organizations", false, orgColumns...), putSQL("organizations", true, orgColumns...)}
	putMembershipSQL = [2]string{putSQL("organization_memberships", false, membershipColumns...), putSQL("organization_memberships", true, membershipColumns...)}
)

// A source says where a version comes from, for the order rule.
type source int

const (
	fromWebhook source = iota // a webhook event, or a deletion Clerk confirmed
	fromAPI                   // a record read from the Backend API
)

// querier is what the store runs statements on: a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

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
	DeletedAt            *int64  // the deletion's stamp
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
// that both hold the same, and such a version is stored at once, every text
// value is stored with U+0000 replaced by U+FFFD, the replacement character,
// as Go's JSON decoder does for invalid UTF-8. An id is a key, not text to
// mend: an id with a NUL is refused (a webhook's job is cancelled; Clerk's
// ids never have one). Invalid UTF-8 never reaches here: the decoders have
// replaced it already.

// storable returns s, or a copy with every U+0000 replaced by U+FFFD.
func storable(s *string) *string {
	if s == nil || !strings.ContainsRune(*s, 0) {
		return s
	}
	r := strings.ReplaceAll(*s, "\x00", "\uFFFD")
	return &r
}

// checkIDs refuses an id no database can key on the same way, and an empty
// one.
func checkIDs(kind string, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			return clerkwebhook.Permanent(fmt.Errorf("clerksync: %s without an id", kind))
		}
		if strings.ContainsRune(id, 0) {
			return clerkwebhook.Permanent(fmt.Errorf("clerksync: %s id %q has a NUL character", kind, id))
		}
	}
	return nil
}

// storeErr wraps err from storing a row. A data error from PostgreSQL (SQLSTATE
// class 22: a value the column cannot hold) is one no retry can fix: it is
// marked permanent, so a webhook's job is cancelled at once, not retried for
// weeks.
func storeErr(what, id string, err error) error {
	err = fmt.Errorf("clerksync: storing %s %s: %w", what, id, err)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return clerkwebhook.Permanent(err)
	}
	return err
}

func putUser(ctx context.Context, q querier, src source, r userRow) error {
	if err := checkIDs("user", r.ID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, putUserSQL[src], r.ID, storable(r.Email), storable(r.FirstName), storable(r.LastName),
		storable(r.ImageURL), storable(r.PublicMetadata), r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("user", r.ID, err)
	}
	return nil
}

func putOrganization(ctx context.Context, q querier, src source, r organizationRow) error {
	if err := checkIDs("organization", r.ID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, putOrgSQL[src], r.ID, storable(r.Name), storable(r.Slug), storable(r.ImageURL),
		storable(r.PublicMetadata), r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("organization", r.ID, err)
	}
	return nil
}

func putMembership(ctx context.Context, q querier, src source, r membershipRow) error {
	if err := checkIDs("organization membership", r.ID, r.OrganizationID, r.UserID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, putMembershipSQL[src], r.ID, r.OrganizationID, r.UserID, *storable(&r.Role),
		r.CreatedAt, r.UpdatedAt, r.DeletedAt)
	if err != nil {
		return storeErr("organization membership", r.ID, err)
	}
	return nil
}

// A User is a user as the mirror holds it: the fields most apps join on,
// from Clerk's user object.
type User struct {
	ID             string          `json:"id"`
	Email          *string         `json:"email"` // the primary email address; nil when there is none
	FirstName      *string         `json:"first_name"`
	LastName       *string         `json:"last_name"`
	ImageURL       *string         `json:"image_url"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"` // the JSON object as Clerk sent it
	CreatedAt      int64           `json:"created_at"`                // Clerk's Unix milliseconds
	UpdatedAt      int64           `json:"updated_at"`                // the stamp of the version held
}

// An Organization is an organization as the mirror holds it.
type Organization struct {
	ID             string          `json:"id"`
	Name           *string         `json:"name"`
	Slug           *string         `json:"slug"`
	ImageURL       *string         `json:"image_url"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

// A Member is one membership of an organization, as Members returns it.
type Member struct {
	MembershipID string `json:"membership_id"` // orgmem_…
	UserID       string `json:"user_id"`
	Role         string `json:"role"` // org:admin, org:member or a custom role's key
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

// User returns the user with id as the mirror holds it, without asking
// Clerk: ErrDeleted if the user was deleted, ErrNotFound if the mirror
// never saw the id (LookupUser then asks Clerk).
func (m *Mirror) User(ctx context.Context, id string) (*User, error) {
	u := &User{}
	var meta *string
	var updatedAt, createdAt, deletedAt *int64
	err := m.db.QueryRowContext(ctx, `SELECT id, email, first_name, last_name, image_url, public_metadata,
		created_at, updated_at, deleted_at FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.ImageURL, &meta, &createdAt, &updatedAt, &deletedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("clerksync: reading user %s: %w", id, err)
	case deletedAt != nil:
		return nil, ErrDeleted
	}
	u.PublicMetadata, u.CreatedAt, u.UpdatedAt = rawJSON(meta), deref(createdAt), deref(updatedAt)
	return u, nil
}

// Organization returns the organization with id: ErrDeleted if it was
// deleted, ErrNotFound if the mirror never saw the id.
func (m *Mirror) Organization(ctx context.Context, id string) (*Organization, error) {
	o := &Organization{}
	var meta *string
	var updatedAt, createdAt, deletedAt *int64
	err := m.db.QueryRowContext(ctx, `SELECT id, name, slug, image_url, public_metadata, created_at, updated_at, deleted_at
		FROM organizations WHERE id = $1`, id).
		Scan(&o.ID, &o.Name, &o.Slug, &o.ImageURL, &meta, &createdAt, &updatedAt, &deletedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("clerksync: reading organization %s: %w", id, err)
	case deletedAt != nil:
		return nil, ErrDeleted
	}
	o.PublicMetadata, o.CreatedAt, o.UpdatedAt = rawJSON(meta), deref(createdAt), deref(updatedAt)
	return o, nil
}

// Members returns the members of the organization with id, sorted by user
// id, or the error of Organization when the organization is not live. A
// membership is left out when it is deleted, and when its user is: Clerk
// removes a deleted user's memberships, but the events saying so may arrive
// late or not at all. The rows stay, so the answer is right whatever the
// order in which the events arrive.
func (m *Mirror) Members(ctx context.Context, id string) ([]Member, error) {
	if _, err := m.Organization(ctx, id); err != nil {
		return nil, err
	}
	rows, err := m.db.QueryContext(ctx, `SELECT m.id, m.user_id, m.role, m.created_at, m.updated_at
		FROM organization_memberships m LEFT JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = $1 AND m.deleted_at IS NULL AND u.deleted_at IS NULL
		ORDER BY m.user_id, m.id`, id)
	if err != nil {
		return nil, fmt.Errorf("clerksync: reading the members of %s: %w", id, err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var mb Member
		var createdAt, updatedAt *int64
		if err := rows.Scan(&mb.MembershipID, &mb.UserID, &mb.Role, &createdAt, &updatedAt); err != nil {
			return nil, fmt.Errorf("clerksync: reading the members of %s: %w", id, err)
		}
		mb.CreatedAt, mb.UpdatedAt = deref(createdAt), deref(updatedAt)
		out = append(out, mb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clerksync: reading the members of %s: %w", id, err)
	}
	return out, nil
}

func rawJSON(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
