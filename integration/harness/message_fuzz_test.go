package harness

import (
	"strconv"
	"testing"

	"github.com/bareku/bareku/protocol/m2"
)

// FuzzParseMessage feeds arbitrary bytes to ParseMessage: it must not panic,
// an accepted message must account for every input byte, and where
// protocol/m2 accepts it too the two must agree.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{specGET, specPOST, specTNet, specJSONEnd, specTNetEnd, rawBytes, escaped, "u 1 /h 2:{},0:,"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMessage(raw)
		if err != nil {
			return
		}
		size := len(m.UUID) + len(m.ID) + len(m.Path) + 3 +
			len(strconv.Itoa(len(m.HeadersRaw))) + len(m.HeadersRaw) + 2 +
			len(strconv.Itoa(len(m.Body))) + len(m.Body) + 2
		if size != len(raw) {
			t.Fatalf("parsed parts cover %d bytes of %d: %+v", size, len(raw), m)
		}
		if w, err := m2.ParseRequest(raw); err == nil {
			if d := agree(m, w); d != "" {
				t.Fatalf("harness and m2 disagree on %s for %q:\n%+v\n%+v", d, raw, m, w)
			}
		}
	})
}
