package route

import (
	"testing"
	"time"
)

// FuzzMatch checks that no pattern and subject make Match panic or run
// longer than its step budget allows, and that the tables built from the
// pattern route without panicking either.
func FuzzMatch(f *testing.F) {
	seeds := []struct{ pattern, subject string }{
		{`/users/(\d+)`, "/users/1234"},
		{`/img/(.*).jpg$`, "/img/x.jpg"},
		{"/cars-fast/([a-z]-)$", "/cars-fast/cadillac"},
		{`\f[\a]\u-\f[\a]`, "THE (QUICK) brOWN FOx JUMPS"},
		{`/users/\b{}`, "/users/{1234}"},
		{"Z[^OE]D", "ZED"},
		{`\a \c \d \l \p \s \u \w \x \z`, "a \t 9 l . \n U w A \x00"},
		{"[\x80-\xff]+$", "\xc3\xa9"},
		{"(.*).wild.org", "a.b.wild.org"},
		{`@[a-z/]- {"type":\s*"ping"}`, `@chat {"type":"ping"}`},
		{"(.*)(.*)(.*)b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{`[a\`, "a"},
		{`\b`, ""},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.subject)
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		start := time.Now()
		got := Match([]byte(pattern), []byte(subject))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Match(%q, %q) took %v", pattern, subject, d)
		}
		if got && ValidatePattern(pattern) != nil {
			t.Fatalf("malformed pattern %q matched %q", pattern, subject)
		}

		var tab Table[int]
		tab.Add(pattern, 1)
		tab.Add("/", 2)
		tab.AddReversed(pattern, 3)
		tab.Match([]byte(subject))
		tab.MatchSuffix([]byte(subject))
		var h HostTable[int]
		h.Add(pattern, 1)
		h.Match([]byte(subject))
	})
}
