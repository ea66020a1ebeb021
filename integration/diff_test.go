package integration

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// outcome is everything one implementation showed in a scenario, in the
// order the scenario observed it: client transcripts, messages handlers
// received, and named facts (exit codes, file contents, ...).
type outcome struct {
	clients  []harness.Transcript
	messages []*harness.Message
	facts    []fact
}

type fact struct{ name, value string }

func (o *outcome) client(tr harness.Transcript) harness.Transcript {
	o.clients = append(o.clients, tr)
	return tr
}

func (o *outcome) message(ms ...*harness.Message) { o.messages = append(o.messages, ms...) }

func (o *outcome) fact(name string, value any) {
	o.facts = append(o.facts, fact{name, fmt.Sprint(value)})
}

// differential runs scenario against the real mongrel2 and ours, each with a
// server started from cfg, then compares what they showed.
func differential(t *testing.T, cfg harness.Config, scenario func(t *testing.T, s *harness.Server, o *outcome)) {
	t.Helper()
	compareImpls(t, serverImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		scenario(t, harness.Start(t, impl, cfg), o)
	})
}

// compareImpls runs scenario once per candidate as subtests named after the
// implementation, then a subtest "same" comparing the outcomes. A candidate
// that cannot run is skipped with its reason, and so is the comparison:
// nothing is compared against a missing side.
func compareImpls(t *testing.T, cands []candidate, scenario func(t *testing.T, impl harness.Impl, o *outcome)) {
	t.Helper()
	requireOracle(t)
	done := map[string]*outcome{}
	for _, c := range cands {
		t.Run(c.impl.Name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			o := &outcome{}
			scenario(t, c.impl, o)
			done[c.impl.Name] = o // only reached when the scenario did not stop the test
		})
	}
	t.Run("same", func(t *testing.T) {
		oracle, other := cands[0], cands[1]
		if other.skip != "" {
			t.Skipf("no comparison: %s", other.skip)
		}
		a, b := done[oracle.impl.Name], done[other.impl.Name]
		if a == nil || b == nil {
			t.Skip("no comparison: a side did not complete its scenario")
		}
		for _, d := range diffOutcomes(oracle.impl.Name, a, other.impl.Name, b) {
			t.Error(d)
		}
	})
}

// diffOutcomes describes every difference between two outcomes after
// normalising what legitimately differs between runs: connection ids are
// replaced by their order of first appearance, and header maps are compared
// as maps (key order differs by design).
func diffOutcomes(nameA string, a *outcome, nameB string, b *outcome) []string {
	var diffs []string
	errorf := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if len(a.clients) != len(b.clients) {
		errorf("%s saw %d client transcripts, %s %d", nameA, len(a.clients), nameB, len(b.clients))
	}
	for i := range min(len(a.clients), len(b.clients)) {
		ca, cb := a.clients[i], b.clients[i]
		if !bytes.Equal(ca.Data, cb.Data) {
			errorf("client %d bytes differ:\n%s: %q\n%s: %q", i, nameA, ca.Data, nameB, cb.Data)
		}
		if ca.Closed != cb.Closed {
			errorf("client %d: %s closed=%v, %s closed=%v", i, nameA, ca.Closed, nameB, cb.Closed)
		}
	}
	ma, mb := normalize(a.messages), normalize(b.messages)
	if len(ma) != len(mb) {
		errorf("%s handlers got %d messages, %s %d:\n%s: %s\n%s: %s", nameA, len(ma), nameB, len(mb), nameA, raws(a.messages), nameB, raws(b.messages))
	}
	for i := range min(len(ma), len(mb)) {
		for _, d := range diffMessage(ma[i], mb[i]) {
			errorf("message %d: %s\n%s: %q\n%s: %q", i, d, nameA, a.messages[i].Raw, nameB, b.messages[i].Raw)
		}
	}
	if len(a.facts) != len(b.facts) {
		errorf("%s recorded %d facts, %s %d:\n%s: %q\n%s: %q", nameA, len(a.facts), nameB, len(b.facts), nameA, a.facts, nameB, b.facts)
	}
	for i := range min(len(a.facts), len(b.facts)) {
		fa, fb := a.facts[i], b.facts[i]
		if fa != fb {
			errorf("fact %q differs: %s", fa.name, firstDiff(nameA, fa.value, nameB, fb.value))
		}
	}
	return diffs
}

// firstDiff describes where two texts first differ, line by line, so that
// long dumps give short messages.
func firstDiff(nameA, a, nameB, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y || i >= len(la) || i >= len(lb) {
			return fmt.Sprintf("line %d (of %d vs %d):\n%s: %q\n%s: %q", i+1, len(la), len(lb), nameA, x, nameB, y)
		}
	}
	return "no line differs"
}

// normalize copies messages with connection ids renamed #1, #2, ... in
// order of first appearance.
func normalize(ms []*harness.Message) []harness.Message {
	ids := map[string]string{}
	out := make([]harness.Message, len(ms))
	for i, m := range ms {
		n, ok := ids[m.ID]
		if !ok {
			n = fmt.Sprintf("#%d", len(ids)+1)
			ids[m.ID] = n
		}
		out[i] = *m
		out[i].ID = n
	}
	return out
}

func diffMessage(a, b harness.Message) []string {
	var d []string
	for _, f := range []struct {
		name string
		x, y any
	}{
		{"handler", a.Handler, b.Handler},
		{"uuid", a.UUID, b.UUID},
		{"connection id (normalised)", a.ID, b.ID},
		{"path", a.Path, b.Path},
		{"header format", a.Format, b.Format},
		{"body", string(a.Body), string(b.Body)},
	} {
		if f.x != f.y {
			d = append(d, fmt.Sprintf("%s: %q vs %q", f.name, f.x, f.y))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Headers)) {
		hb, ok := b.Headers[k]
		switch {
		case !ok:
			d = append(d, fmt.Sprintf("header %q=%v only in the first", k, a.Headers[k]))
		case !reflect.DeepEqual(a.Headers[k], hb):
			d = append(d, fmt.Sprintf("header %q: %v vs %v", k, a.Headers[k], hb))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.Headers)) {
		if _, ok := a.Headers[k]; !ok {
			d = append(d, fmt.Sprintf("header %q=%v only in the second", k, b.Headers[k]))
		}
	}
	return d
}

func raws(ms []*harness.Message) string {
	var b bytes.Buffer
	for _, m := range ms {
		fmt.Fprintf(&b, "\n\t%q", m.Raw)
	}
	return b.String()
}

// Canned responses from spec §3.5, byte for byte.
const (
	resp400 = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 11\r\nServer: Mongrel2/1.12.2\r\n\r\nBad Request"
	resp404 = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 9\r\nServer: Mongrel2/1.12.2\r\n\r\nNot Found"
	resp413 = "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 16\r\nServer: Mongrel2/1.12.2\r\n\r\nEntity Too Large"
	resp417 = "HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\nServer: Mongrel2/1.12.2\r\n\r\nExpectation Failed"
	resp100 = "HTTP/1.1 100 Continue\r\n\r\n"
)

// okResponse is what the test handlers answer with.
const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// Handler identities from the spec's captured examples.
const (
	jsonIdent = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"
	tnetIdent = "aaaa-bbbb-tnet"
)

// basicConfig is one host with a JSON handler on / and /handler and a
// tnetstring handler on /tnet.
func basicConfig() harness.Config {
	return harness.Config{
		Hosts: []harness.Host{{Name: "localhost", Routes: map[string]string{
			"/":        "json",
			"/handler": "json",
			"/tnet":    "tnet",
		}}},
		Handlers: []harness.HandlerSpec{
			{Name: "json", Ident: jsonIdent},
			{Name: "tnet", Ident: tnetIdent, Protocol: "tnetstring"},
		},
	}
}

// expectCanned asserts that a client got exactly want and was closed.
func expectCanned(t *testing.T, what string, tr harness.Transcript, want string) {
	t.Helper()
	if string(tr.Data) != want || !tr.Closed {
		t.Errorf("%s: got %q closed=%v, want %q and close", what, tr.Data, tr.Closed, want)
	}
}

// expectOpen asserts that a client got exactly want and stayed connected.
func expectOpen(t *testing.T, what string, tr harness.Transcript, want string) {
	t.Helper()
	if string(tr.Data) != want || tr.Closed {
		t.Errorf("%s: got %q closed=%v, want %q with the connection kept open", what, tr.Data, tr.Closed, want)
	}
}

// expectHeaders asserts the complete header map of m. Values are a string
// for a single value or a []string for a list.
func expectHeaders(t *testing.T, what string, m *harness.Message, want map[string]any) {
	t.Helper()
	wantH := map[string]harness.Header{}
	for k, v := range want {
		switch v := v.(type) {
		case string:
			wantH[k] = harness.Header{Values: []string{v}}
		case []string:
			wantH[k] = harness.Header{Values: v, List: true}
		default:
			panic(fmt.Sprintf("expectHeaders: %T", v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(wantH)) {
		got, ok := m.Headers[k]
		switch {
		case !ok:
			t.Errorf("%s: header %q missing, want %v", what, k, wantH[k])
		case !reflect.DeepEqual(got, wantH[k]):
			t.Errorf("%s: header %q = %v, want %v", what, k, got, wantH[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
		if _, ok := wantH[k]; !ok {
			t.Errorf("%s: unexpected header %q = %v", what, k, m.Headers[k])
		}
	}
}
