package tnetstring

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that anything it accepts
// re-encodes canonically to a value that parses back equal, and that the
// value's strict prefixes are reported as ErrShort.
func FuzzParse(f *testing.F) {
	for _, tc := range captured {
		f.Add([]byte(tc.wire))
	}
	for _, s := range []string{"", "0:~", "3:abc", "1a:x,", "4:5:ab]", "2:-0#", "03:abc,xyz", "7:1.5e+3^"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, rest, err := Parse(data)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("Parse(%q) error %v is not a sentinel", data, err)
			}
			return
		}
		consumed := data[:len(data)-len(rest)]
		enc := v.Append(nil)
		w, rest2, err := Parse(enc)
		if err != nil || len(rest2) != 0 {
			t.Fatalf("re-parse of %q (from %q): %v, rest %q", enc, consumed, err, rest2)
		}
		if !w.Equal(v) {
			t.Fatalf("round trip of %q changed the value: %+v != %+v", consumed, w, v)
		}
		if again := w.Append(nil); string(again) != string(enc) {
			t.Fatalf("encoding is not canonical: %q then %q", enc, again)
		}
		if len(consumed) <= 512 {
			for i := range len(consumed) {
				if _, _, err := Parse(consumed[:i]); err != ErrShort {
					t.Fatalf("prefix %q of %q: error %v, want ErrShort", consumed[:i], consumed, err)
				}
			}
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrShort, ErrLength, ErrTag, ErrPayload, ErrKey, ErrDepth} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
