package route

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const m2shPath = "/usr/bin/m2sh"

// TestDifferentialM2sh runs Mongrel2's own offline matcher,
// `m2sh route -match STR -pattern PAT [-reversed -suffix]`, on a set of
// routes and subjects and compares its verdict, and the pattern and prefix
// it prints, with a one-route Table.
func TestDifferentialM2sh(t *testing.T) {
	if _, err := os.Stat(m2shPath); err != nil {
		t.Skip("m2sh not installed")
	}
	if testing.Short() {
		t.Skip("starts one m2sh process per case")
	}

	// m2sh's option parser strips surrounding quotes and takes a leading
	// '-' for an option, so no value here starts with '"', '\'' or '-'.
	routes := []string{
		"/users", "/", "/users/", `/users/(\d+)`, `/users/(\d+)$`, `/img/(.*).jpg$`,
		"/cars-fast/([a-z]-)$", "/users()$", `/pat/(\a+\d*)`, "/x/([^/]+)/y",
		`/b/(\b{})`, `/f/(\f[\a]\u-\f[\a])`, "/o/(ab?c)$", "/s/([%]]x)", `/e/(\.\$\E)`,
		"/h/([\x80-\xff]+)$", "/h/([\x01-\xff]+)$", `/h/(\A+)$`, `/h/(\W+)$`,
		"/m/(a-b)", "/q/(a$b)", "/q/((x))y", "/^a", "/star*", "(x)",
	}
	paths := []string{
		"/", "/u", "/us", "/users", "/usersXYZ", "/users/", "/users/12", "/users/12x", "/users/x",
		"/img/a.jpg", "/img/a.jpgz", "/img/.jpg", "/img/", "/cars-fast/cadillac", "/cars-fast/c9",
		"/pat/abc12", "/pat/12", "/x/abc/y", "/x//y", "/b/{a{b}c}", "/b/{a", "/f/THE(QUICK)x", "/f/abc",
		"/o/ac", "/o/abc", "/o/abbc", "/s/%x", "/s/]x", "/s/ax", `/e/.$E`, "/e/x$E",
		"/h/\xc3\xa9", "/h/abc", "/h/", "/m/aaab", "/m/b", "/q/a$b", "/q/ab", "/q/xy", "/^a", "/a",
		"/star", "/starrr", "/sta", "x", "xy",
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
	// Pair each route with the paths that share its first two bytes (and
	// a few that share none), which keeps the number of processes small.
	for _, r := range routes {
		for _, p := range paths {
			if len(p) < 2 || len(r) < 2 || p[:2] == r[:2] || p == "/us" {
				cases = append(cases, tcase{r, p, false})
			}
		}
	}
	for _, h := range hosts {
		for _, n := range names {
			cases = append(cases, tcase{h, n, true})
		}
	}

	dir := t.TempDir()
	for _, c := range cases {
		args := []string{"route", "-match", c.subject, "-pattern", c.pattern}
		var tab Table[struct{}]
		var r *Route[struct{}]
		if c.host {
			args = append(args, "-reversed", "-suffix")
			tab.AddReversed(c.pattern, struct{}{})
			r = tab.MatchSuffix([]byte(c.subject))
		} else {
			tab.Add(c.pattern, struct{}{})
			r = tab.Match([]byte(c.subject))
		}

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, m2shPath, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("m2sh %q: %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		passed := strings.HasPrefix(lines[0], "Match passed")
		if !passed && !strings.HasPrefix(lines[0], "Match FAILED") {
			t.Fatalf("m2sh %q: unexpected output %q", args, out)
		}
		if passed != (r != nil) {
			t.Errorf("pattern %q subject %q host=%v: m2sh passed=%v, Table matched=%v", c.pattern, c.subject, c.host, passed, r != nil)
			continue
		}
		if passed {
			want := lines[len(lines)-1]
			got := "ROUTE: pattern='" + r.Stored() + "', prefix='" + r.Prefix + "'"
			if got != want {
				t.Errorf("pattern %q subject %q: m2sh printed %q, Table gives %q", c.pattern, c.subject, want, got)
			}
		}
	}
	t.Logf("%d cases agree with %s", len(cases), m2shPath)
}
