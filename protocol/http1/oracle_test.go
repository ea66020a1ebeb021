package http1

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"testing"
)

// oracleDeviations are inputs on which this package deliberately differs
// from Mongrel2 1.12.2 (see the Parse documentation).
var oracleDeviations = map[string]string{
	// Mongrel2 takes CR and LF as header-name bytes and waits for a colon.
	"GET / HTTP/1.1\r\nX\r\n\r\n": "control bytes in header names",
}

// TestOracle replays outcomes recorded from the real Mongrel2 1.12.2 (see
// testdata/oraclegen/README): the spec's examples, random request-targets,
// JSON message paths and header sections. It checks accept, reject and
// incomplete, and where a handler saw the request, PATH, URI, QUERY,
// FRAGMENT and the header dictionary.
func TestOracle(t *testing.T) {
	f, err := os.Open("testdata/oracle.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	var r Request
	lines, checked := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		fs := strings.Split(line, "\t")
		in := unhex(t, fs[1])
		n, err := r.Parse(in, Options{})
		got := "ok"
		switch {
		case err != nil:
			got = "bad"
		case n == 0:
			got = "more"
		case n != len(in):
			t.Errorf("Parse(%q) consumed %d of %d bytes", in, n, len(in))
		}
		if why, ok := oracleDeviations[string(in)]; ok {
			if got == fs[2] {
				t.Errorf("Parse(%q) = %s like Mongrel2, but this is a listed deviation (%s)", in, got, why)
			}
			continue
		}
		if got != fs[2] {
			t.Errorf("%s %q: %s (%v), Mongrel2 said %s", fs[0], in, got, err, fs[2])
			continue
		}
		if got != "ok" || fs[3] == "?" {
			continue
		}
		checked++
		switch fs[0] {
		case "target", "json":
			want := [4]string{fs[3], fs[4], fs[5], fs[6]}
			g := [4]string{hexOrDash(r.Path, true), hexOrDash(r.URI, true), hexOrDash(r.Query, r.HasQuery), hexOrDash(r.Fragment, r.HasFragment)}
			if fs[0] == "json" {
				g[1], g[2], g[3] = "-", "-", "-"
			}
			if g != want {
				t.Errorf("%q: PATH, URI, QUERY, FRAGMENT = %q, Mongrel2 said %q", in, g, want)
			}
		case "head":
			if g := headerDict(&r); g != fs[3] {
				t.Errorf("%q: headers %s, Mongrel2 said %s", in, g, fs[3])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines < 10000 || checked < 3000 {
		t.Fatalf("only %d cases, %d with details", lines, checked)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexOrDash(b []byte, present bool) string {
	if !present {
		return "-"
	}
	return hex.EncodeToString(b)
}

// headerDict renders the headers the way the oracle corpus does: sorted
// names, each with its values in arrival order, all in hex.
func headerDict(r *Request) string {
	values := map[string][]string{}
	var names []string
	for _, h := range r.Headers {
		k := hex.EncodeToString(h.Name)
		if _, ok := values[k]; !ok {
			names = append(names, k)
		}
		values[k] = append(values[k], hex.EncodeToString(h.Value))
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + ":" + strings.Join(values[k], ",")
	}
	if len(parts) == 0 {
		return "="
	}
	return strings.Join(parts, ";")
}
