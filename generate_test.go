package clerkwebhook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every go:generate line of the module is in generate.go, so that one
// "go generate" at the root, in one order, makes all the generated code.
func TestOneGeneratePlace(t *testing.T) {
	t.Parallel()
	var found []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "//go:generate ") {
				found = append(found, path+": "+line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"generate.go: //go:generate go run ./internal/gen/eventtypes",
		"generate.go: //go:generate go run ./internal/gen/decoders",
	}
	if strings.Join(found, "\n") != strings.Join(want, "\n") {
		t.Errorf("go:generate lines:\n%s\nwant only:\n%s", strings.Join(found, "\n"), strings.Join(want, "\n"))
	}
}
