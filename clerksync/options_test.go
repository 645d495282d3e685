package clerksync

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What is written in the program and can never work panics where it is
// given, naming it; the secret key, which comes from outside, is an error.
func TestConfigurationMistakes(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	for _, c := range []struct {
		name string
		fn   func()
		want string
	}{
		{"nil db", func() { _, _ = New(nil, SQLite) }, "New: nil *sql.DB"},
		{"unknown dialect", func() { _, _ = New(db.DB, "mysql") }, `New: unknown dialect "mysql"`},
		{"Migrate's unknown dialect", func() { _ = Migrate(t.Context(), db.DB, "") }, `Migrate: unknown dialect ""`},
		{"relative URL", func() { WithAPIURL("api.clerk.com/v1") }, `WithAPIURL("api.clerk.com/v1")`},
		{"no host", func() { WithAPIURL("https:///v1") }, "WithAPIURL"},
		{"another scheme", func() { WithAPIURL("ftp://api.clerk.com/v1") }, "want an absolute http(s) URL"},
		{"password in the URL", func() { WithAPIURL("ftp://user:hunter2@api.clerk.com/v1") }, "ftp://api.clerk.com/v1"},
		{"zero rate", func() { WithRequestRate(0, time.Second) }, "WithRequestRate(0, 1s)"},
		{"negative period", func() { WithRequestRate(10, -time.Second) }, "the rate must be positive"},
		{"rate beyond a nanosecond", func() { WithRequestRate(10, time.Nanosecond) }, "the rate must be positive"},
		{"zero retry limit", func() { WithRetryLimit(0) }, "WithRetryLimit(0s)"},
		{"nil logger", func() { WithLogger(nil) }, "WithLogger(nil)"},
		{"nil transport", func() { WithTransport(nil) }, "WithTransport(nil)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic")
				assert.Contains(t, r, c.want)
				assert.NotContains(t, r, "hunter2")
			}()
			c.fn()
		})
	}
	_, err := New(db.DB, SQLite, WithSecretKey("sk_test_abc def"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "abc")
	m, err := New(db.DB, SQLite, nil, WithTransport(http.DefaultTransport))
	require.NoError(t, err, "a nil option is no option")
	assert.False(t, m.HasAPI())
	assert.Equal(t, APIURL, m.APIURL())
}
