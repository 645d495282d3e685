package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed file is what the table generates: run "go generate" in the
// repository root after changing the table.
func TestGeneratedFileIsCurrent(t *testing.T) {
	t.Parallel()
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "..", output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate in the repository root", output)
	}
}

func TestTableHasNoDuplicates(t *testing.T) {
	t.Parallel()
	names, wires := map[string]bool{}, map[string]bool{}
	for _, e := range table {
		if names[e.name] || wires[e.wire] {
			t.Errorf("%s (%s) is listed twice", e.name, e.wire)
		}
		names[e.name], wires[e.wire] = true, true
	}
}
