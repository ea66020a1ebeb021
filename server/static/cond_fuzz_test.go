package static

import (
	"strings"
	"testing"
	"time"
)

// FuzzConditions feeds arbitrary header values to the date and entity-tag
// parsers: they must not panic, a parsed date must print and parse back to
// itself, and a tag must match itself bare and quoted.
func FuzzConditions(f *testing.F) {
	for _, s := range []string{
		"Fri, 27 Nov 2026 14:34:09 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "friday, 7 november 2026 1:2:3 GMT",
		"Fri, 27 Nov 2026 14:34:09 UTC", "Fri,27 Nov 2026 14:34:09GMT", "Fri, 31 Feb 2026 23:59:61 GMT",
		"6b0994e1-c", `"6b0994e1-c"`, `W/"6b0994e1-c"`, `"x", "6b0994e1-c"`, "*", `"a, 6b0994e1-c"`, `"`, "W/", ",,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sec, ok := parseHTTPDate([]byte(v)); ok {
			s := time.Unix(sec, 0).UTC().Format(httpDate)
			if back, ok := parseHTTPDate([]byte(s)); !ok || back != sec {
				t.Fatalf("%q parsed to %d, printed %q, parsed back to %d (%v)", v, sec, s, back, ok)
			}
		}
		etagListMatch([]byte(v), "6b0994e1-c", true)
		etagListMatch([]byte(v), "6b0994e1-c", false)
		// A bare tag cannot hold quotes, commas or blanks, and one starting
		// with W/ reads as a weak tag.
		if v == "" || containsAny(v, "\", \t") || strings.HasPrefix(v, "W/") {
			return
		}
		for _, weak := range []bool{false, true} {
			if !etagListMatch([]byte(v), v, weak) || !etagListMatch([]byte(`"`+v+`"`), v, weak) {
				t.Fatalf("tag %q does not match itself (weak %v)", v, weak)
			}
		}
	})
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}
