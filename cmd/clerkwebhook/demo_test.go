package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

func TestDemoEveryVerdictAsExpected(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "", "demo")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr)

	rows := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "  ")
		var cells []string
		for _, f := range fields {
			if f = strings.TrimSpace(f); f != "" {
				cells = append(cells, f)
			}
		}
		if len(cells) == 6 {
			rows[cells[0]] = cells
		}
	}
	require.Contains(t, rows, "DELIVERY")
	for _, et := range clerkwebhook.EventTypes() {
		row, ok := rows[string(et)]
		if assert.True(t, ok, "no row for %s", et) {
			assert.Equal(t, []string{string(et), string(et), "200", "accepted", "accepted"}, row[:5])
		}
	}
	for name, want := range map[string][]string{
		"unknown.future":            {"200", "accepted"},
		"forged":                    {"400", "no matching signature"},
		"tampered":                  {"400", "no matching signature"},
		"stale":                     {"400", "timestamp too old"},
		"future":                    {"400", "timestamp too new"},
		"oversized":                 {"413", "body too large"},
		"missing headers":           {"400", "missing header"},
		"GET":                       {"405", "method not allowed"},
		"duplicate of user.created": {"200", "duplicate"},
	} {
		row, ok := rows[name]
		if assert.True(t, ok, "no row for %s", name) {
			assert.Equal(t, want, row[2:4], name)
			assert.Equal(t, row[3], row[4], "verdict of %s as expected", name)
		}
	}
	assert.Len(t, rows, len(clerkwebhook.EventTypes())+10) // + header, unknown, 8 bad deliveries
	assert.Contains(t, r.stdout, "all 55 verdicts as expected")
}

func TestDemoStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr lockedBuffer
	code := run(ctx, []string{"demo"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "interrupted")
}

func TestTamperKeepsJSONValid(t *testing.T) {
	t.Parallel()
	body := compactFixture(t)
	changed := append([]byte(nil), body...)
	tamper(changed)
	assert.NotEqual(t, body, changed)
	assert.True(t, json.Valid(changed), "still valid JSON")
	diff := 0
	for i := range body {
		if body[i] != changed[i] {
			diff++
		}
	}
	assert.Equal(t, 1, diff)
}
