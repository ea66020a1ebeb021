package harness

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/tnetstring"
)

// The harness keeps its own small codec so that it stays independent of the
// code under test, and so that it can tell a single header value from a
// one-element list (m2.Message cannot). These tests hold the two codecs to
// each other: where both accept a message they must agree on it, and the
// replies they build must be the same bytes.

// agree reports how m (ours) and w (protocol/m2) differ, or "".
func agree(m *Message, w *m2.Message) string {
	if m.UUID != w.UUID || m.ID != strconv.FormatUint(w.ID, 10) || m.Path != w.Path || string(m.Body) != string(w.Body) {
		return "prefix or body"
	}
	if string(m.HeadersRaw) != string(w.RawHeaders) {
		return "raw headers"
	}
	if !slices.Equal(slices.Sorted(maps.Keys(m.Headers)), slices.Sorted(maps.Keys(w.Headers))) {
		return "header keys"
	}
	for k, h := range m.Headers {
		if !slices.Equal(h.Values, w.Headers[k]) && !(len(h.Values) == 0 && len(w.Headers[k]) == 0) {
			return "header " + strconv.Quote(k)
		}
	}
	return ""
}

func TestParseAgreesWithM2(t *testing.T) {
	for _, raw := range []string{specGET, specPOST, specTNet, specJSONEnd, specTNetEnd, rawBytes, escaped} {
		m, err := ParseMessage([]byte(raw))
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		w, err := m2.ParseRequest([]byte(raw))
		if err != nil {
			t.Errorf("m2 rejects %q: %v", raw, err)
			continue
		}
		if d := agree(m, w); d != "" {
			t.Errorf("%q: harness and m2 disagree on %s:\n%+v\n%+v", raw, d, m, w)
		}
	}
}

func TestRepliesAgreeWithM2(t *testing.T) {
	ids := []uint64{3, 44}
	strIDs := []string{"3", "44"}
	for _, tc := range []struct{ name, ours, theirs string }{
		{"reply", string(AppendReply(nil, "u-1", strIDs, []byte("body"))), string(m2.AppendReply(nil, "u-1", ids, []byte("body")))},
		{"close", string(AppendReply(nil, "u-1", strIDs, nil)), string(m2.AppendReply(nil, "u-1", ids, nil))},
		{"keep-alive", string(AppendControl(nil, "u-1", strIDs, "keep-alive")), string(m2.AppendExtendedReply(nil, "u-1", ids, "ctl",
			tnetstring.Dict(tnetstring.KV("keep-alive", tnetstring.Null()))))},
		{"cancel", string(AppendControl(nil, "u-1", strIDs, "cancel")), string(m2.AppendExtendedReply(nil, "u-1", ids, "ctl",
			tnetstring.Dict(tnetstring.KV("cancel", tnetstring.Null()))))},
	} {
		if tc.ours != tc.theirs {
			t.Errorf("%s: harness %q, m2 %q", tc.name, tc.ours, tc.theirs)
		}
	}
}
