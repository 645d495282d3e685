package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped command signs with the library (clerkwebhook.Sign) and makes
// ids with internal/ids: none of the test kit, nor the testing packages it
// would drag in, belongs in the binary.
func TestCommandLinksNoTestCode(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	require.NoError(t, err, "go list: %s", exitStderr(err))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/seed77920f6a/clerkwebhook", "go list listed the command's dependencies")
	for _, dep := range deps {
		assert.False(t, dep == "testing" || strings.HasPrefix(dep, "testing/"), "the command links %s", dep)
		assert.NotEqual(t, "net/http/httptest", dep, "the command links net/http/httptest")
		assert.NotEqual(t, "github.com/seed77920f6a/clerkwebhook/clerkwebhooktest", dep, "the command imports the test kit")
	}
}

// exitStderr is what a failed command wrote on standard error.
func exitStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
