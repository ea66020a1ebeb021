package integration

import (
	"strconv"
	"strings"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

func mustParse(t *testing.T, raw string) *harness.Message {
	t.Helper()
	m, err := harness.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDiffOutcomes checks the comparison itself: connection ids and header
// order are normalised away, everything else is a difference.
func TestDiffOutcomes(t *testing.T) {
	get := func(id, headers string) string {
		return "u " + id + " /h " + strconv.Itoa(len(headers)) + ":" + headers + ",0:,"
	}
	h1 := `{"PATH":"/h","x-dup":["1","2"]}`
	h1reordered := `{"x-dup":["1","2"],"PATH":"/h"}`
	h1single := `{"PATH":"/h","x-dup":"1"}`
	cases := []struct {
		name  string
		a, b  outcome
		wants []string // substrings, one per expected difference; none means equal
	}{{
		name: "ids and header order normalised",
		a:    outcome{messages: []*harness.Message{mustParse(t, get("1", h1)), mustParse(t, get("1", h1)), mustParse(t, get("2", h1))}},
		b:    outcome{messages: []*harness.Message{mustParse(t, get("7", h1reordered)), mustParse(t, get("7", h1)), mustParse(t, get("9", h1))}},
	}, {
		name:  "same id versus two ids",
		a:     outcome{messages: []*harness.Message{mustParse(t, get("1", h1)), mustParse(t, get("1", h1))}},
		b:     outcome{messages: []*harness.Message{mustParse(t, get("1", h1)), mustParse(t, get("2", h1))}},
		wants: []string{"connection id"},
	}, {
		name:  "list versus single string",
		a:     outcome{messages: []*harness.Message{mustParse(t, get("1", h1))}},
		b:     outcome{messages: []*harness.Message{mustParse(t, get("1", h1single))}},
		wants: []string{`header "x-dup"`},
	}, {
		name:  "missing message",
		a:     outcome{messages: []*harness.Message{mustParse(t, get("1", h1))}},
		wants: []string{"got 1 messages"},
	}, {
		name:  "client bytes and close",
		a:     outcome{clients: []harness.Transcript{{Data: []byte("x"), Closed: true}}},
		b:     outcome{clients: []harness.Transcript{{Data: []byte("y"), Closed: false}}},
		wants: []string{"bytes differ", "closed=true"},
	}, {
		name:  "facts",
		a:     outcome{facts: []fact{{"exit", "0"}, {"dump", "a\nb\nc"}}},
		b:     outcome{facts: []fact{{"exit", "0"}, {"dump", "a\nB\nc"}}},
		wants: []string{`fact "dump" differs: line 2`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := diffOutcomes("a", &tc.a, "b", &tc.b)
			if len(got) != len(tc.wants) {
				t.Fatalf("got %d differences, want %d: %q", len(got), len(tc.wants), got)
			}
			for i, w := range tc.wants {
				if !strings.Contains(got[i], w) {
					t.Errorf("difference %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

func TestLatin1(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\tb", "a\tb"},
		{"\u00ff\u00fe", "\xff\xfe"},             // decoded \u00ff\u00fe escapes
		{"\xff\xfe", "\xff\xfe"},                 // raw bytes stay
		{"caf\u00e9 \u20ac", "caf\u00e9 \u20ac"}, // not all below 256: unchanged
	} {
		if got := latin1(tc.in); got != tc.want {
			t.Errorf("latin1(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
