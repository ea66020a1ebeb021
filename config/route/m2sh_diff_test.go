package route

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const m2shPath = "/usr/bin/m2sh"

// TestDifferentialM2sh runs Mongrel2's own offline matcher,
// `m2sh route -match STR -pattern PAT [-reversed -suffix]`, on every pair of
// a set of routes and subjects and compares its verdict, and the pattern
// and prefix it prints, with a one-route Table.
func TestDifferentialM2sh(t *testing.T) {
	if _, err := os.Stat(m2shPath); err != nil {
		t.Skip("m2sh not installed")
	}

	// m2sh's option parser splits at white space, strips surrounding quotes and
	// takes a leading '-' for an option, so no value here contains white space
	// or starts with '"', '\'' or '-'.
	routes := []string{
		"/users", "/", "/users/", `/users/(\d+)`, `/users/(\d+)$`, `/img/(.*).jpg$`,
		"/cars-fast/([a-z]-)$", "/users()$", `/pat/(\a+\d*)`, "/x/([^/]+)/y",
		`/b/(\b{})`, `/f/(\f[\a]\u-\f[\a])`, "/o/(ab?c)$", "/s/([%]]x)", `/e/(\.\$\E)`,
		"/h/([\x80-\xff]+)$", "/h/([\x01-\xff]+)$", `/h/(\A+)$`, `/h/(\W+)$`,
		"/m/(a-b)", "/q/(a$b)", "/q/((x))y", "/^a", "/star*", "(x)",
		`/c/([\d\l]+)$`, `/c/(\p+)`, `/c/(\x\x)$`, `/c/([^\d]-)$`, `/c/(.-)$`, `/c/(\U*)$`, `/c/(\S?\s?\C)`,
	}
	paths := []string{
		"/", "/u", "/us", "/users", "/usersXYZ", "/users/", "/users/12", "/users/12x", "/users/x",
		"/img/a.jpg", "/img/a.jpgz", "/img/.jpg", "/img/", "/cars-fast/cadillac", "/cars-fast/c9",
		"/pat/abc12", "/pat/12", "/x/abc/y", "/x//y", "/b/{a{b}c}", "/b/{a", "/f/THE(QUICK)x", "/f/abc",
		"/o/ac", "/o/abc", "/o/abbc", "/s/%x", "/s/]x", "/s/ax", `/e/.$E`, "/e/x$E",
		"/h/\xc3\xa9", "/h/abc", "/h/", "/m/aaab", "/m/b", "/q/a$b", "/q/ab", "/q/xy", "/^a", "/a",
		"/star", "/starrr", "/sta", "x", "xy",
		"/c/ab12", "/c/!@#", "/c/Fe", "/c/ABC", "/c/", "/c/a%09b", "/c/\x7f",
	}
	hosts := []string{"(.*).wild.org", "example.com", "*.example.com", "(X+)foo", "(a)(b)c", "(a-z)$x"}
	names := []string{
		"www.wild.org", "a.b.wild.org", ".wild.org", "wild.org", "ild.org", "example.com", "badexample.com",
		"ample.com", "Example.com", "m", "www.example.com", "Xfoo", "XXXfoo", "YYYfoo", "XXXoo", "abc", "bc",
		"c", "$x", "azzz$x",
	}

	type tcase struct {
		pattern, subject string
		host             bool
	}
	var cases []tcase
	for _, r := range routes {
		for _, p := range paths {
			cases = append(cases, tcase{r, p, false})
		}
	}
	for _, h := range hosts {
		for _, n := range names {
			cases = append(cases, tcase{h, n, true})
		}
	}

	// One `m2sh shell` runs every case: it reads command lines from stdin
	// and runs each as `m2sh <line>`.
	var script strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&script, "route -match %s -pattern %s", c.subject, c.pattern)
		if c.host {
			script.WriteString(" -reversed -suffix")
		}
		script.WriteString("\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m2shPath, "shell")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+cmd.Dir) // m2sh keeps its history in ~/.m2sh
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("m2sh shell: %v", err)
	}
	lines := strings.Split(string(out), "\n")

	for _, c := range cases {
		var tab Table[struct{}]
		var r *Route[struct{}]
		if c.host {
			tab.AddReversed(c.pattern, struct{}{})
			r = tab.MatchSuffix([]byte(c.subject))
		} else {
			tab.Add(c.pattern, struct{}{})
			r = tab.Match([]byte(c.subject))
		}

		if len(lines) == 0 {
			t.Fatalf("m2sh output ended before pattern %q subject %q", c.pattern, c.subject)
		}
		verdict := lines[0]
		lines = lines[1:]
		against := " on '" + c.subject + "' against '" + c.pattern + "'."
		passed := verdict == "Match passed"+against
		if !passed && verdict != "Match FAILED"+against {
			t.Fatalf("pattern %q subject %q: m2sh printed %q", c.pattern, c.subject, verdict)
		}
		var printed string
		if passed {
			printed, lines = lines[0], lines[1:]
		}
		if passed != (r != nil) {
			t.Errorf("pattern %q subject %q host=%v: m2sh passed=%v, Table matched=%v", c.pattern, c.subject, c.host, passed, r != nil)
			continue
		}
		if passed {
			got := "ROUTE: pattern='" + r.Stored() + "', prefix='" + r.Prefix + "'"
			if got != printed {
				t.Errorf("pattern %q subject %q: m2sh printed %q, Table gives %q", c.pattern, c.subject, printed, got)
			}
		}
	}
	t.Logf("%d cases agree with %s", len(cases), m2shPath)
}
