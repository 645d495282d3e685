// Command modproxy writes a file-based module proxy, the layout that
// GOPROXY=file://DIR serves, holding each given module at one version:
//
//	go run ./internal/tools/modproxy -version v0.1.0 -out DIR MODULEDIR...
//
// For each module directory (one with a go.mod) it writes, under
// DIR/<escaped module path>/@v/, the files the go command asks a proxy for:
// list (the version added), VERSION.info, VERSION.mod (the go.mod) and
// VERSION.zip, made by golang.org/x/mod/zip, the code the go command itself
// uses to make and check module zips, so a zip it accepts here is one it
// accepts from a real proxy. It fails on a module path or version the go
// command would refuse and on a file that cannot go in a module zip, and
// prints one line per module with the go.sum hash of its zip.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	version := flag.String("version", "", "the version to publish every module at, e.g. v0.1.0")
	out := flag.String("out", "", "the proxy's directory (created if missing)")
	stamp := flag.String("time", "", "the versions' time in RFC 3339 (default: now), e.g. the commit's")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: modproxy -version VERSION -out DIR [-time RFC3339] MODULEDIR...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *version == "" || *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	when := time.Now().UTC()
	if *stamp != "" {
		t, err := time.Parse(time.RFC3339, *stamp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "modproxy: -time:", err)
			os.Exit(2)
		}
		when = t.UTC()
	}
	for _, dir := range flag.Args() {
		line, err := publish(*out, dir, *version, when)
		if err != nil {
			fmt.Fprintf(os.Stderr, "modproxy: %s: %v\n", dir, err)
			os.Exit(1)
		}
		fmt.Println(line)
	}
}

// publish writes the module in dir at version into the proxy at out and
// returns a one-line summary.
func publish(out, dir, version string, when time.Time) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return "", err
	}
	if f.Module == nil {
		return "", errors.New("go.mod has no module line")
	}
	mod := module.Version{Path: f.Module.Mod.Path, Version: version}
	if semver.Canonical(version) != version {
		return "", fmt.Errorf("%s is not a canonical semantic version", version)
	}
	if err := module.Check(mod.Path, mod.Version); err != nil {
		return "", err
	}
	files, err := modzip.CheckDir(dir)
	if err != nil {
		return "", err
	}
	escaped, err := module.EscapePath(mod.Path)
	if err != nil {
		return "", err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(vdir, version)

	zipName := base + ".zip"
	zf, err := os.Create(zipName)
	if err != nil {
		return "", err
	}
	if err := modzip.CreateFromDir(zf, mod, dir); err != nil {
		zf.Close()
		return "", err
	}
	if err := zf.Close(); err != nil {
		return "", err
	}
	// The go command checks the zip again on download; checking it here
	// names a bad file before any go get runs.
	if _, err := modzip.CheckZip(mod, zipName); err != nil {
		return "", err
	}
	sum, err := dirhash.HashZip(zipName, dirhash.Hash1)
	if err != nil {
		return "", err
	}

	if err := os.WriteFile(base+".mod", gomod, 0o644); err != nil {
		return "", err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".info", append(info, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := addToList(filepath.Join(vdir, "list"), version); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s@%s  %d files (%d omitted)  %s", mod.Path, version, len(files.Valid), len(files.Omitted), sum), nil
}

// addToList adds version to a proxy's list file, one version a line.
func addToList(name, version string) error {
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	return os.WriteFile(name, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
