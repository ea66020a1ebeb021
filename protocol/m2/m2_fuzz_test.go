package m2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzParseReply checks that ParseReply never panics, returns only
// ErrInvalidReply errors, and that what it accepts survives re-encoding.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		testUUID + " 1:1, HTTP/1.1 200 OK\r\n\r\n",
		"u 3:22 , body", "u 9:1 2 3 2 1, x", "u 1:7, ", "u 001:7, x", "u 10:4294967295, x",
		"s2-handler 3:X 3, 27:3:ctl,17:7:credits,4:4096#}]",
		"u 2:1, x", "u 1:1,x", "a_b 1:1, x", "u 4:1  2, x", "u 0:, x", "u 2:X , x",
		"u 10:4294967296, x", "u 99999999999999999999999999:1, x",
	} {
		f.Add([]byte(s), uint8(128))
	}
	f.Fuzz(func(t *testing.T, msg []byte, maxTargets uint8) {
		var r Reply
		if err := ParseReply(msg, &r, int(maxTargets)); err != nil {
			if !errors.Is(err, ErrInvalidReply) {
				t.Fatalf("error %v does not wrap ErrInvalidReply", err)
			}
			return
		}
		if len(r.UUID) == 0 || !bytes.HasPrefix(msg, r.UUID) || !bytes.HasSuffix(msg, r.Body) {
			t.Fatalf("UUID %q or Body %q not taken from %q", r.UUID, r.Body, msg)
		}
		if len(r.IDs) == 0 || (maxTargets > 0 && len(r.IDs) > int(maxTargets)) {
			t.Fatalf("%d ids accepted with limit %d", len(r.IDs), maxTargets)
		}
		for _, id := range r.IDs {
			if id > math.MaxUint32 {
				t.Fatalf("id %d beyond 32 bits", id)
			}
		}
		enc := appendReplyStart(nil, string(r.UUID), r.Extended, r.IDs)
		enc = append(enc, r.Body...)
		var again Reply
		if err := ParseReply(enc, &again, int(maxTargets)); err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", enc, err)
		}
		if !bytes.Equal(again.UUID, r.UUID) || again.Extended != r.Extended || !slices.Equal(again.IDs, r.IDs) || !bytes.Equal(again.Body, r.Body) {
			t.Fatalf("round trip of %q changed it: %+v vs %+v", msg, again, r)
		}
		if r.Extended {
			if _, _, err := ParseExtended(r.Body); err != nil && !errors.Is(err, ErrExtended) {
				t.Fatalf("ParseExtended error %v does not wrap ErrExtended", err)
			}
		}
	})
}

// FuzzParseRequest checks that ParseRequest never panics, returns only
// ErrInvalidRequest errors, and that its JSON header decoding agrees with
// encoding/json wherever the headers are strict, valid UTF-8 JSON.
func FuzzParseRequest(f *testing.F) {
	for _, c := range capturedRequests() {
		f.Add([]byte(c.wire))
	}
	f.Add(AppendDisconnect(nil, JSON, b("u"), 1))
	f.Add(AppendDisconnect(nil, TNetstring, b("u"), 1))
	f.Add(AppendCredits(nil, TNetstring, b("u"), 1, 84))
	for _, obj := range []string{
		"{\"x-tab\":\"a\tb\",\"x-bin\":\"\xff\xfe\"}",
		`{"k":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac"}`,
		`{"k":"\ud83d\ude00","l":"\ud83dx\ude00","m":"\ud83d\u0041"}`,
		` { "a" : [ "1" , "2" ] , "b" : [ ] , "a" : "3" } `,
	} {
		f.Add(fmt.Appendf(nil, "u 1 / %d:%s,0:,", len(obj), obj))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := ParseRequest(msg)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v does not wrap ErrInvalidRequest", err)
			}
			return
		}
		if !bytes.HasSuffix(msg, append(m.Body, ',')) {
			t.Fatalf("Body %q is not the end of %q", m.Body, msg)
		}
		if m.Protocol != JSON || !utf8.Valid(m.RawHeaders) || !json.Valid(m.RawHeaders) {
			return
		}
		want, ok := strictHeaders(m.RawHeaders)
		if !ok {
			t.Fatalf("accepted JSON headers that are not an object of strings: %q", m.RawHeaders)
		}
		if len(want) != len(m.Headers) {
			t.Fatalf("headers %q: got %q, encoding/json gives %q", m.RawHeaders, m.Headers, want)
		}
		for k, vs := range want {
			if !slices.Equal(m.Headers[k], vs) {
				t.Fatalf("headers %q: key %q: got %q, encoding/json gives %q", m.RawHeaders, k, m.Headers[k], vs)
			}
		}
	})
}

// strictHeaders decodes a header object with encoding/json's tokenizer,
// appending the values of repeated keys as ParseRequest does.
func strictHeaders(raw []byte) (map[string][]string, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	h := map[string][]string{}
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for d.More() {
		tok, err := d.Token()
		key, isStr := tok.(string)
		if err != nil || !isStr {
			return nil, false
		}
		vals := h[key]
		tok, err = d.Token()
		if err != nil {
			return nil, false
		}
		switch v := tok.(type) {
		case string:
			vals = append(vals, v)
		case json.Delim:
			if v != '[' {
				return nil, false
			}
			for d.More() {
				tok, err := d.Token()
				s, isStr := tok.(string)
				if err != nil || !isStr {
					return nil, false
				}
				vals = append(vals, s)
			}
			if _, err := d.Token(); err != nil {
				return nil, false
			}
			if vals == nil {
				vals = []string{}
			}
		default:
			return nil, false
		}
		h[key] = vals
	}
	return h, true
}
