//go:build ignore

// report reads the JSON that gremlins wrote and prints, for each core file,
// the mutants killed and lived, the lived ones that docs/maintainers/mutation.md lists as
// equivalent, the score and the file's target; then every lived mutant that
// no entry justifies, with its source line. It exits 1 when a file is under
// its target.
//
//	go run scripts/mutation/report.go -json out.json -equivalents docs/maintainers/mutation.md verify.go=95 ...
//
// An equivalent mutant is named in docs/maintainers/mutation.md by a table row
//
//	| file.go | MUTATOR | `trimmed source line` | column | why |
//
// where column is the mutant's column counted from the first non-blank
// character of the line (1 is that character). Lines move as code changes;
// the text and that column identify the mutant without line numbers.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type mutation struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

type result struct {
	Files []struct {
		Name      string     `json:"file_name"`
		Mutations []mutation `json:"mutations"`
	} `json:"files"`
}

type key struct {
	file, mutator, text string
	col                 int
}

var rowRE = regexp.MustCompile("^\\|\\s*([a-z_]+\\.go)\\s*\\|\\s*([A-Z_]+)\\s*\\|\\s*`(.+)`\\s*\\|\\s*([0-9]+)\\s*\\|")

func main() {
	jsonPath := flag.String("json", "", "gremlins' JSON output")
	eqPath := flag.String("equivalents", "docs/maintainers/mutation.md", "the document listing equivalent mutants")
	flag.Parse()

	var res result
	raw, err := os.ReadFile(*jsonPath)
	check(err)
	check(json.Unmarshal(raw, &res))

	equivalent, err := readEquivalents(*eqPath)
	check(err)

	byFile := map[string][]mutation{}
	for _, f := range res.Files {
		byFile[f.Name] = append(byFile[f.Name], f.Mutations...)
	}

	fmt.Println("| file | killed | lived | of which justified | score | target |")
	fmt.Println("|---|---|---|---|---|---|")
	failed := false
	var survivors []string
	used := map[key]bool{}
	for _, arg := range flag.Args() {
		name, t, ok := strings.Cut(arg, "=")
		if !ok {
			fail("argument %q is not file=target", arg)
		}
		want, err := strconv.ParseFloat(t, 64)
		check(err)
		lines, err := readLines(name)
		check(err)
		killed, lived, eq := 0, 0, 0
		ms := byFile[name]
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Line != ms[j].Line {
				return ms[i].Line < ms[j].Line
			}
			return ms[i].Column < ms[j].Column
		})
		for _, m := range ms {
			switch m.Status {
			case "KILLED", "TIMED OUT":
				killed++
			case "LIVED", "NOT COVERED":
				lived++
				text, col := "", m.Column
				if m.Line >= 1 && m.Line <= len(lines) {
					full := lines[m.Line-1]
					text = strings.TrimSpace(full)
					col -= len(full) - len(strings.TrimLeft(full, " \t"))
				}
				k := key{name, m.Type, text, col}
				if equivalent[k] {
					eq++
					used[k] = true
					continue
				}
				survivors = append(survivors, fmt.Sprintf("%-11s %s:%d:%d %s\n    | %s | %s | `%s` | %d | |",
					m.Status, name, m.Line, m.Column, m.Type, name, m.Type, strings.ReplaceAll(text, "|", `\|`), col))
			case "NOT VIABLE", "SKIPPED":
			default:
				fail("%s:%d:%d: unexpected status %q (did gremlins finish?)", name, m.Line, m.Column, m.Status)
			}
		}
		score := 100.0
		if killed+lived > 0 {
			score = 100 * float64(killed+eq) / float64(killed+lived)
		}
		mark := ""
		if score < want {
			mark = " **under**"
			failed = true
		}
		fmt.Printf("| %s | %d | %d | %d | %.1f%% | %.0f%%%s |\n", name, killed, lived, eq, score, want, mark)
	}
	for k := range equivalent {
		if !used[k] && contains(flag.Args(), k.file) {
			fmt.Printf("\nstale entry in %s (no such lived mutant): %s %s `%s` %d\n", *eqPath, k.file, k.mutator, k.text, k.col)
		}
	}
	if len(survivors) > 0 {
		fmt.Printf("\n%d lived mutants with no justification (row to add to %s if equivalent):\n", len(survivors), *eqPath)
		for _, s := range survivors {
			fmt.Println(s)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func contains(args []string, file string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, file+"=") {
			return true
		}
	}
	return false
}

func readEquivalents(path string) (map[key]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	eq := map[key]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := rowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		col, _ := strconv.Atoi(m[4])
		// A pipe inside a table cell is written \|.
		eq[key{m[1], m[2], strings.ReplaceAll(m[3], `\|`, "|"), col}] = true
	}
	return eq, sc.Err()
}

func readLines(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(string(raw), "\n"), nil
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mutation report: "+format+"\n", args...)
	os.Exit(2)
}
