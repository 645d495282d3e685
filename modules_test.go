package clerkwebhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The rules of CONTRIBUTING.md's "Modules" section, checked on the go.mod
// files of this repository and go.work:
//
//   - no go.mod has a replace directive: a user's build ignores them;
//   - a module of this repository is required at one released version
//     everywhere (the next release), never a placeholder or pseudo-version,
//     and go.work replaces exactly that version of each with its directory,
//     so the workspace builds before the version is on any proxy;
//   - the core says go 1.22 and its dependencies allow it; every other
//     module says one go version, the lowest all of their dependencies
//     allow (the highest go line among what they require), and so does
//     go.work;
//   - a dependency is required at one version in every module.
//
// The go.mod files are read with `go mod edit -json`; the go lines of
// dependencies come from the module cache (go mod download fills it).

// coreGoVersion is the go line the core module keeps.
const coreGoVersion = "1.22"

func TestModules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on every go.mod")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkModules(t, root, goLineFromModCache(t)) {
		t.Error(p)
	}
}

// TestModulesGoVersionsInREADMEs checks that the install lines of the
// READMEs and the copy-out section of examples/mirror state the go lines
// the go.mod files say (as major.minor).
func TestModulesGoVersionsInREADMEs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on go.mod files")
	}
	neutral := t.TempDir()
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.FromSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	minor := func(goLine string) string { // "1.26.0" → "1.26"
		parts := strings.SplitN(goLine, ".", 3)
		return strings.Join(parts[:min(2, len(parts))], ".")
	}
	core := readGoMod(t, neutral, abs("go.mod"), false)
	pgstore := readGoMod(t, neutral, abs("pgstore/go.mod"), false)
	clerksync := readGoMod(t, neutral, abs("clerksync/go.mod"), false)
	mirror := readGoMod(t, neutral, abs("examples/mirror/go.mod"), false)
	for _, c := range []struct{ file, line, want string }{
		{"README.md", "go get " + core.Module.Path + " ", "# Go " + minor(core.Go) + " or newer"},
		{"README.md", "go get " + pgstore.Module.Path + " ", "Go " + minor(pgstore.Go) + " or newer"},
		{"clerksync/README.md", "go install " + clerksync.Module.Path + "/cmd/clerksync@latest", "# Go " + minor(clerksync.Go) + " or newer"},
		{"examples/mirror/README.md", "It needs Go", "It needs Go " + minor(mirror.Go) + "."},
	} {
		data, err := os.ReadFile(filepath.FromSlash(c.file))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, c.line) {
				found = true
				if !strings.Contains(l, c.want) {
					t.Errorf("%s: %q does not say %q", c.file, strings.TrimSpace(l), c.want)
				}
			}
		}
		if !found {
			t.Errorf("%s has no line with %q", c.file, c.line)
		}
	}
}

// A modTree is a fake repository: file name to contents.
type modTree map[string]string

// TestModulesRulesCatch runs the rules on a small fake repository laid out as
// this one, first as it should be, then with one break per case: each must be
// reported.
func TestModulesRulesCatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on every go.mod")
	}
	const core = "example.com/hook"
	valid := func() modTree {
		return modTree{
			"go.mod": "module example.com/hook\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n",
			"store/go.mod": "module example.com/hook/store\n\ngo 1.26.0\n\nrequire (\n" +
				"\texample.com/dep v1.0.0\n\texample.com/hook v0.3.0\n\texample.com/db v1.2.0 // indirect\n)\n",
			"examples/app/go.mod": "module example.com/hook/examples/app\n\ngo 1.26.0\n\nrequire (\n" +
				"\texample.com/db v1.2.0\n\texample.com/hook v0.3.0\n\texample.com/hook/store v0.3.0\n)\n",
			"go.work": "go 1.26.0\n\nuse (\n\t.\n\t./examples/app\n\t./store\n)\n\n" +
				"replace example.com/hook v0.3.0 => ./\n\nreplace example.com/hook/store v0.3.0 => ./store\n",
		}
	}
	// The go lines of the fake dependencies: db sets the floor at 1.26.0.
	goLines := map[string]string{"example.com/dep@v1.0.0": "1.21", "example.com/db@v1.2.0": "1.26.0", "example.com/db@v1.3.0": "1.26.0"}
	goLineOf := func(modPath, version string) (string, error) {
		g, ok := goLines[modPath+"@"+version]
		if !ok {
			return "", fmt.Errorf("no go.mod for %s@%s", modPath, version)
		}
		return g, nil
	}
	edit := func(file, old, new string) func(modTree) {
		return func(tr modTree) {
			if !strings.Contains(tr[file], old) {
				t.Fatalf("%s has no %q", file, old)
			}
			tr[file] = strings.Replace(tr[file], old, new, 1)
		}
	}
	cases := []struct {
		name   string
		mutate func(modTree)
		want   string // a part of the problem reported
	}{
		{"replace in an adapter", edit("store/go.mod", ")\n", ")\n\nreplace example.com/hook => ../\n"), "store/go.mod has a replace"},
		{"replace in the example", edit("examples/app/go.mod", ")\n", ")\n\nreplace example.com/hook/store v0.3.0 => ../../store\n"), "examples/app/go.mod has a replace"},
		{"placeholder version", edit("store/go.mod", "example.com/hook v0.3.0", "example.com/hook v0.0.0-00010101000000-000000000000"), "not a released version"},
		{"pseudo-version", edit("store/go.mod", "example.com/hook v0.3.0", "example.com/hook v0.3.1-0.20240101000000-abcdefabcdef"), "not a released version"},
		{"two versions of the core", edit("store/go.mod", "example.com/hook v0.3.0", "example.com/hook v0.2.0"), "at v0.2.0 and v0.3.0"},
		{"sibling at another version", edit("examples/app/go.mod", "example.com/hook/store v0.3.0", "example.com/hook/store v0.2.0"), "at v0.2.0 and v0.3.0"},
		{"go.work replaces another version", edit("go.work", "example.com/hook/store v0.3.0 =>", "example.com/hook/store v0.2.0 =>"), "go.work does not replace example.com/hook/store v0.3.0"},
		{"go.work replaces with the wrong directory", edit("go.work", "=> ./store", "=> ./examples/app"), "go.work replaces example.com/hook/store v0.3.0 with examples/app, not with its directory store"},
		{"go.work replaces every version", edit("go.work", "example.com/hook v0.3.0 =>", "example.com/hook =>"), "go.work replaces example.com/hook at every version"},
		{"module missing from go.work", edit("go.work", "\t./store\n", ""), "store/go.mod is not in go.work"},
		{"core above 1.22", edit("go.mod", "go 1.22", "go 1.23"), "go.mod says go 1.23; the core stays at go 1.22"},
		{"core dependency needs newer go", func(tr modTree) { goLines["example.com/dep@v1.0.0"] = "1.24" }, "go.mod's dependencies need go 1.24"},
		{"adapters disagree", edit("store/go.mod", "go 1.26.0", "go 1.27.0"), "modules other than the core say go 1.26.0 (examples/app/go.mod) and go 1.27.0 (store/go.mod)"},
		{"all adapters above the floor", func(tr modTree) {
			edit("store/go.mod", "go 1.26.0", "go 1.27.0")(tr)
			edit("examples/app/go.mod", "go 1.26.0", "go 1.27.0")(tr)
			edit("go.work", "go 1.26.0", "go 1.27.0")(tr)
		}, "say go 1.27.0, but their dependencies allow go 1.26.0"},
		{"go.work differs", edit("go.work", "go 1.26.0", "go 1.27.0"), "go.work says go 1.27.0; the modules other than the core say go 1.26.0"},
		{"shared dependency at two versions", edit("store/go.mod", "example.com/db v1.2.0", "example.com/db v1.3.0"), "example.com/db is required at v1.2.0 (examples/app/go.mod) and v1.3.0 (store/go.mod)"},
	}
	write := func(t *testing.T, tr modTree) string {
		dir := t.TempDir()
		for name, content := range tr {
			file := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	checkAs := func(t *testing.T, dir string) []string {
		return checkModulesOf(t, dir, core, goLineOf)
	}
	if problems := checkAs(t, write(t, valid())); len(problems) > 0 {
		t.Fatalf("the valid fake repository has problems:\n%s", strings.Join(problems, "\n"))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			saved := make(map[string]string, len(goLines))
			for k, v := range goLines {
				saved[k] = v
			}
			defer func() { goLines = saved }()
			tr := valid()
			c.mutate(tr)
			problems := checkAs(t, write(t, tr))
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem reported contains %q; reported:\n%s", c.want, strings.Join(problems, "\n"))
		})
	}
}

// goModFile is what `go mod edit -json` and `go work edit -json` print.
type goModFile struct {
	Module  struct{ Path string }
	Go      string
	Require []struct {
		Path     string
		Version  string
		Indirect bool
	}
	Use     []struct{ DiskPath string }
	Replace []struct {
		Old struct{ Path, Version string }
		New struct{ Path, Version string }
	}
}

// readGoMod reads a go.mod (or, with work, a go.work) with the go command.
// It runs in neutral, a directory with no go.mod or go.work, with the local
// toolchain, so that no file read makes the go command switch toolchains.
func readGoMod(t *testing.T, neutral, file string, work bool) goModFile {
	t.Helper()
	sub := "mod"
	if work {
		sub = "work"
	}
	cmd := exec.Command("go", sub, "edit", "-json", file)
	cmd.Dir = neutral
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s edit -json %s: %v\n%s", sub, file, err, stderr.Bytes())
	}
	var f goModFile
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("go %s edit -json %s: %v", sub, file, err)
	}
	return f
}

// checkModules checks the repository at root, whose core module is the
// module of root's go.mod.
func checkModules(t *testing.T, root string, goLineOf func(modPath, version string) (string, error)) []string {
	t.Helper()
	core := readGoMod(t, t.TempDir(), filepath.Join(root, "go.mod"), false).Module.Path
	return checkModulesOf(t, root, core, goLineOf)
}

// checkModulesOf returns every break of the rules in the repository at
// root, one sentence each, naming files relative to root.
func checkModulesOf(t *testing.T, root, core string, goLineOf func(modPath, version string) (string, error)) []string {
	t.Helper()
	neutral := t.TempDir()
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Every go.mod under root, by its directory relative to root ("." for the core).
	mods := map[string]goModFile{}
	dirOf := map[string]string{} // module path → directory
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "go.mod" {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			f := readGoMod(t, neutral, p, false)
			mods[rel] = f
			dirOf[f.Module.Path] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mods["."]; !ok {
		t.Fatalf("no go.mod at %s", root)
	}
	name := func(dir string) string { return path.Join(dir, "go.mod") }
	dirs := make([]string, 0, len(mods))
	for dir := range mods {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	isOurs := func(modPath string) bool { return modPath == core || strings.HasPrefix(modPath, core+"/") }

	// No replace in any go.mod.
	for _, dir := range dirs {
		for _, r := range mods[dir].Replace {
			report("%s has a replace of %s: a user's build ignores it; go.work serves development", name(dir), r.Old.Path)
		}
	}

	// Our modules: required at one released version.
	versions := map[string][]string{} // version → "file requires path"
	needed := map[string]string{}     // "path version" → path
	for _, dir := range dirs {
		for _, r := range mods[dir].Require {
			if !isOurs(r.Path) {
				continue
			}
			if _, ok := dirOf[r.Path]; !ok {
				report("%s requires %s, which no go.mod in the repository declares", name(dir), r.Path)
			}
			if !isReleasedVersion(r.Version) {
				report("%s requires %s at %s, not a released version: require the version the modules are released at together", name(dir), r.Path, r.Version)
				continue
			}
			versions[r.Version] = append(versions[r.Version], name(dir)+" requires "+r.Path)
			needed[r.Path+" "+r.Version] = r.Path
		}
	}
	if len(versions) > 1 {
		var vs []string
		for v := range versions {
			vs = append(vs, v)
		}
		sortGoVersions(vs)
		var detail []string
		for _, v := range vs {
			detail = append(detail, v+": "+strings.Join(versions[v], ", "))
		}
		report("this repository's modules are required at %s and %s: one version for all (%s)",
			strings.Join(vs[:len(vs)-1], ", "), vs[len(vs)-1], strings.Join(detail, "; "))
	}

	// go.work: every module, and a replace of each required version by its directory.
	workFile := filepath.Join(root, "go.work")
	var work goModFile
	if _, err := os.Stat(workFile); err != nil {
		report("there is no go.work")
	} else {
		work = readGoMod(t, neutral, workFile, true)
		used := map[string]bool{}
		for _, u := range work.Use {
			used[path.Clean(filepath.ToSlash(u.DiskPath))] = true
		}
		for _, dir := range dirs {
			if !used[dir] {
				report("%s is not in go.work: go.work lists every module", name(dir))
			}
		}
		replaced := map[string]string{} // "path version" → directory
		for _, r := range work.Replace {
			if r.Old.Version == "" {
				report("go.work replaces %s at every version: replace only the version the modules require", r.Old.Path)
				continue
			}
			replaced[r.Old.Path+" "+r.Old.Version] = path.Clean(filepath.ToSlash(r.New.Path))
			if _, ok := needed[r.Old.Path+" "+r.Old.Version]; !ok {
				report("go.work replaces %s %s, which no go.mod requires", r.Old.Path, r.Old.Version)
			}
		}
		keys := make([]string, 0, len(needed))
		for k := range needed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			dir, ok := replaced[k]
			switch {
			case !ok:
				report("go.work does not replace %s with its directory: the workspace would fetch a version no proxy has yet", k)
			case dir != dirOf[needed[k]]:
				report("go.work replaces %s with %s, not with its directory %s", k, dir, dirOf[needed[k]])
			}
		}
	}

	// Go lines.
	// The highest go line among dir's requirements. Our own modules are left
	// out: the core's go line is the lowest of all, and each other module's
	// dependencies count in its own floor.
	floor := func(dir string) string {
		highest := ""
		for _, r := range mods[dir].Require {
			if isOurs(r.Path) {
				continue
			}
			g, err := goLineOf(r.Path, r.Version)
			if err != nil {
				t.Fatalf("%s: the go line of %s %s: %v", name(dir), r.Path, r.Version, err)
			}
			if g != "" && (highest == "" || compareGoVersions(g, highest) > 0) {
				highest = g
			}
		}
		return highest
	}
	if g := mods["."].Go; g != coreGoVersion {
		report("go.mod says go %s; the core stays at go %s", g, coreGoVersion)
	}
	if f := floor("."); f != "" && compareGoVersions(f, coreGoVersion) > 0 {
		report("go.mod's dependencies need go %s; the core stays at go %s", f, coreGoVersion)
	}
	others := map[string][]string{} // go line → files
	otherFloor := ""
	for _, dir := range dirs {
		if dir == "." {
			continue
		}
		others[mods[dir].Go] = append(others[mods[dir].Go], name(dir))
		if f := floor(dir); f != "" && (otherFloor == "" || compareGoVersions(f, otherFloor) > 0) {
			otherFloor = f
		}
	}
	var lines []string
	for g := range others {
		lines = append(lines, g)
	}
	sortGoVersions(lines)
	switch {
	case len(lines) > 1:
		var detail []string
		for _, g := range lines {
			detail = append(detail, fmt.Sprintf("go %s (%s)", g, strings.Join(others[g], ", ")))
		}
		report("the modules other than the core say %s: one go line for all of them", strings.Join(detail, " and "))
	case len(lines) == 1:
		if otherFloor != "" && lines[0] != otherFloor {
			report("the modules other than the core say go %s, but their dependencies allow go %s: use the lowest they allow", lines[0], otherFloor)
		}
		if work.Go != "" && work.Go != lines[0] {
			report("go.work says go %s; the modules other than the core say go %s", work.Go, lines[0])
		}
	}

	// Every other dependency: one version everywhere.
	depVersions := map[string]map[string][]string{} // path → version → files
	for _, dir := range dirs {
		for _, r := range mods[dir].Require {
			if isOurs(r.Path) {
				continue
			}
			if depVersions[r.Path] == nil {
				depVersions[r.Path] = map[string][]string{}
			}
			depVersions[r.Path][r.Version] = append(depVersions[r.Path][r.Version], name(dir))
		}
	}
	deps := make([]string, 0, len(depVersions))
	for p := range depVersions {
		deps = append(deps, p)
	}
	sort.Strings(deps)
	for _, p := range deps {
		if len(depVersions[p]) < 2 {
			continue
		}
		var vs []string
		for v := range depVersions[p] {
			vs = append(vs, v)
		}
		sortGoVersions(vs)
		var detail []string
		for _, v := range vs {
			detail = append(detail, fmt.Sprintf("%s (%s)", v, strings.Join(depVersions[p][v], ", ")))
		}
		report("%s is required at %s: one version in every module (scripts/tidy %s@%s)", p, strings.Join(detail, " and "), p, vs[len(vs)-1])
	}
	return problems
}

// releasedVersion matches a release or pre-release version without build
// metadata; pseudoVersion matches the end of a pseudo-version (a 14-digit
// time and a 12-hex commit), placeholders such as
// v0.0.0-00010101000000-000000000000 included.
var (
	releasedVersion = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	pseudoVersion   = regexp.MustCompile(`[-.][0-9]{14}-[0-9a-f]{12}$`)
)

func isReleasedVersion(v string) bool {
	return releasedVersion.MatchString(v) && !pseudoVersion.MatchString(v)
}

// goLineFromModCache returns the go line of a module version's go.mod, read
// from the module cache, downloading it first when it is not there.
func goLineFromModCache(t *testing.T) func(modPath, version string) (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	cache := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	return func(modPath, version string) (string, error) {
		file := filepath.Join(cache, filepath.FromSlash(escapeModulePath(modPath)), "@v", version+".mod")
		data, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			cmd := exec.Command("go", "mod", "download", "-json", modPath+"@"+version)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
			var info struct{ GoMod, Error string }
			out, derr := cmd.Output()
			if jerr := json.Unmarshal(out, &info); derr != nil || jerr != nil || info.GoMod == "" {
				return "", fmt.Errorf("not in the module cache, and go mod download failed: %v %s", derr, info.Error)
			}
			data, err = os.ReadFile(info.GoMod)
		}
		if err != nil {
			return "", err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "go" {
				return f[1], nil
			}
		}
		return "", nil // no go line: older than Go 1.12, no constraint
	}
}

// escapeModulePath is the module cache's spelling of a module path: each
// upper-case letter becomes "!" and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// compareGoVersions orders go lines as the go command does: 1.26 (the
// language) < 1.26rc1 < 1.26.0 < 1.26.1. It also orders module versions
// (vX.Y.Z) by their numbers, which is all the messages need.
func compareGoVersions(a, b string) int {
	ka, kb := goVersionKey(a), goVersionKey(b)
	for i := range ka {
		if ka[i] != kb[i] {
			if ka[i] < kb[i] {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

// goVersionKey is major, minor, kind (0 language, 1 beta, 2 rc, 3 release)
// and the beta, rc or patch number.
func goVersionKey(v string) [4]int {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	var k [4]int
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	parts := strings.SplitN(v, ".", 3)
	k[0] = num(parts[0])
	if len(parts) == 1 {
		return k
	}
	minor := parts[1]
	for i, pre := range []string{"beta", "rc"} {
		if j := strings.Index(minor, pre); j >= 0 {
			k[1], k[2], k[3] = num(minor[:j]), 1+i, num(minor[j+len(pre):])
			return k
		}
	}
	k[1] = num(minor)
	if len(parts) == 3 {
		k[2], k[3] = 3, num(parts[2])
	}
	return k
}

func sortGoVersions(vs []string) {
	sort.Slice(vs, func(i, j int) bool { return compareGoVersions(vs[i], vs[j]) < 0 })
}
