package route

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		// Mongrel2's tests/pattern_tests.c.
		{"ZED", "ZED", true},
		{"Z.D", "ZED", true},
		{"FOO", "ZED", false},
		{"ZE*D", "ZEEEED", true},
		{"ZE*ED", "ZEEEED", true},
		{"ZE*ED", "ZED", true},
		{"ZE*D", "ZD", true},
		{"ZX*D", "ZEEEED", false},
		{"Z.*D", "ZEEEED", true},
		{"ZE.*D", "ZXXXXD", false},
		{"ZE+D", "ZEEEED", true},
		{"ZE+D", "ZD", false},
		{"ZE-D", "ZEEEED", true},
		{"ZE-D", "ZD", true},
		{"ZED$", "ZED", true},
		{"ZE$", "ZED", false},
		{"ED", "ZED", false},
		{"Z(ED)", "ZED", true},
		{`\f[\a]\u-\f[\a]`, "THE (QUICK) brOWN FOx JUMPS", true},
		{`/users/\b{}`, "/users/{1234}", true},
		{`/users/\b{}`, "/users/{1234", false},
		{`/users/\b{}`, "/users/1234}", false},
		{"Z[OE]D", "ZED", true},
		{"Z[^OE]D", "ZED", false},
		{"Z[A-Z]D", "ZED", true},
		{"ZEE?D", "ZED", true},
		{"ZEE?D", "ZEED", true},
		{"ZEE?D", "ZEEED", false},
		{`\a \c \d \l \p \s \u \w \x \z`, "a \t 9 l . \n U w A \x00", true},
		{`Z\ED`, "ZED", true},
		{`\*Z\*E\+D\.`, "*Z*E+D.", true},
		{`ZED\.`, "ZED!", false},

		// Spec §4.1 and §4.2 examples.
		{`(\d+)`, "123", true},
		{`(\d+)`, "123abc", true},
		{`(\d+)`, "", false},
		{`(\d+)`, "abc", false},
		{`(.*).jpg$`, "x.jpg", true},
		{`(.*).jpg$`, "x.png", false},
		{`(.*).jpg$`, "x.jpgz", false},
		{`(.*).jpg$`, "xXjpg", true}, // '.' is any byte
		{`([a-z]-)$`, "cadillac", true},
		{`([a-z]-)$`, "cadillac9", false},
		{`([0-9]+)`, "1234/testing", true},
		{`([0-9]+)$`, "1234/notgonnawork", false},

		// Anchoring and '$'.
		{"", "anything", true},
		{"", "", true},
		{"$", "", true},
		{"$", "x", false},
		{"a$b", "a$b", true}, // '$' not last is literal
		{"a$b", "ab", false},
		{`a\$`, "a$", true},
		{"ab", "a", false},
		{"^a", "^a", true}, // '^' is literal
		{"^a", "a", false},

		// Parentheses are skipped wherever an item may start.
		{"((a))b", "ab", true},
		{"a)*", "a*", true}, // ')' cuts the quantifier off: '*' is literal
		{"a)*", "aa", false},
		{"[()]", "(", true},

		// Classes and their complements, C locale.
		{`\d\D`, "1a", true},
		{`\D`, "1", false},
		{`\a+$`, "AbZz", true},
		{`\A`, "a", false},
		{`\l\u`, "aA", true},
		{`\L`, "a", false},
		{`\s+$`, " \t\n\v\f\r", true},
		{`\S`, " ", false},
		{`\w+$`, "az09AZ", true},
		{`\W`, "_", true},
		{`\x+$`, "09afAF", true},
		{`\x`, "g", false},
		{`\p+$`, "!/:@[`{~", true},
		{`\p`, "a", false},
		{`\c\c`, "\x00\x7f", true},
		{`\C`, "\x1f", false},
		{`\z`, "\x00", true},
		{`\Z`, "\x00", false},
		{`\Z`, "a", true},
		{`\E`, "E", true}, // not a class letter: literal
		{`\\`, `\`, true},
		{`\.`, "a", false},
		{`\a`, "\xe9", false}, // bytes >= 0x80 are in no class
		{`\A`, "\xe9", true},
		{`\W`, "\xc3", true},

		// Sets.
		{"[]]", "]", true}, // first byte of a set is literal
		{"[^]]", "]", false},
		{"[^]]", "a", true},
		{`[\]]`, "]", true},
		{`[\d_]+$`, "12_3", true},
		{`[\d_]`, "a", false},
		{"[a-]", "-", true}, // '-' at the end is literal
		{"[-a]", "-", true},
		{"[a-c]", "d", false},
		{"[^a-c]", "d", true},
		{`[\^a]`, "^", true},
		{"[\x01-\xff]", "\xc3", false}, // ranges compare signed char
		{"[\x80-\xff]", "\xc3", true},
		{"[\x80-\xff]", "a", false},
		{"[a-\xff]", "b", false},

		// Quantifiers.
		{"a*", "", true},
		{"a*$", "aaab", false},
		{"a*b", "aaab", true},
		{"a-b", "aaab", true},
		{"a-$", "aaa", true},
		{"a?a?a?aaa$", "aaa", true},
		{".-b$", "abab", true},
		{"x+y", "xxy", true},
		{"[ab]*c", "ababc", true},
		{"(.-)/(.*)$", "a/b/c", true},
		{"a**", "a*", true}, // the second '*' is an item of its own
		{"*", "*", true},

		// Balance.
		{`\b()`, "(a(b)c)", true},
		{`\b()$`, "(a(b)c)x", false},
		{`\b()x`, "(a(b)c)x", true},
		{`\b""`, `"ab"`, true},
		{`\b{}`, "x{}", false},

		// Frontier.
		{`\f[a]a`, "a", true},
		{`\f[%l]`, "", false},
		{`x\f[\A]`, "x", true}, // end of subject counts as byte 0
		{`\f[\a]`, "1", false},

		// A NUL byte ends the pattern, as in C.
		{"ab\x00c", "abX", true},

		// Malformed patterns never match.
		{`ab\`, "ab\\", false},
		{"[ab", "a", false},
		{`[a\`, "a", false},
		{`\b{`, "{}", false},
		{`\b`, "", false},
		{`\fa`, "a", false},
		{`\f`, "", false},
		{`\f[a`, "a", false},
		{"x[a", "y", false},
	}
	for _, tt := range tests {
		if got := Match([]byte(tt.pattern), []byte(tt.subject)); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

func TestValidatePattern(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{"", true},
		{`(\d+)`, true},
		{`/users/\b{}`, true},
		{`\f[\a]\u-\f[\a]`, true},
		{"[]]", true},
		{`[\]]`, true},
		{"a*?+-", true},
		{"$x$", true},
		{`ab\`, false},
		{"[ab", false},
		{"[]", false},
		{`[a\]`, false},
		{`\b{`, false},
		{`\fa`, false},
		{`\f[a`, false},
		{"(.*)[", false},
	}
	for _, tt := range tests {
		err := ValidatePattern(tt.pattern)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", tt.pattern, err, tt.ok)
		}
		// A malformed pattern must never match; a valid one with a
		// trailing ".*" must at least be runnable to its end.
		if err != nil && Match([]byte(tt.pattern), []byte(strings.Repeat(tt.pattern, 2))) {
			t.Errorf("malformed pattern %q matched", tt.pattern)
		}
	}
}

// TestMatchBudget checks that a backtracking pattern over a long hostile
// subject stops after its step budget instead of running for a time
// polynomial in the subject length, and that linear matches fit the budget.
func TestMatchBudget(t *testing.T) {
	subject := []byte(strings.Repeat("a", 20_000))
	tests := []struct {
		pattern   string
		subject   []byte
		want      bool
		exhausted bool
	}{
		{"(.*)(.*)(.*)(.*)b", subject, false, true},
		{"a-a-a-a-a-b", subject, false, true},
		{"(a*)*b", subject, false, false}, // the second '*' is a literal: linear
		{`\b()\b()`, subject, false, false},
		{"(.*).jpg$", append(subject[:len(subject):len(subject)], ".jpg"...), true, false},
		{`(\a+)$`, subject, true, false},
		{"(.-)/(.-)/(.*).png$", []byte(strings.Repeat("ab/", 2000) + "x.png"), true, false},
	}
	for _, tt := range tests {
		m := matcher{pat: []byte(tt.pattern), src: tt.subject, steps: budget(len(tt.subject))}
		got := m.match(0, 0) >= 0
		if got != tt.want || (m.steps < 0) != tt.exhausted {
			t.Errorf("Match(%q, %d bytes) = %v with %d steps left; want %v, exhausted %v",
				tt.pattern, len(tt.subject), got, m.steps, tt.want, tt.exhausted)
		}
		if got != Match([]byte(tt.pattern), tt.subject) {
			t.Errorf("Match(%q) disagrees with the matcher", tt.pattern)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	p, s := []byte(`(.-)/([^/]+).jpg$`), []byte("images/2024/cat.jpg")
	if n := testing.AllocsPerRun(100, func() { Match(p, s) }); n != 0 {
		t.Errorf("Match allocates %v times per call", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	benches := []struct{ name, pattern, subject string }{
		{"digits", `(\d+)`, "1234567/testing"},
		{"jpg", `(.*).jpg$`, "images/2024/holidays/cat-on-a-mat.jpg"},
		{"miss", `(.*).png$`, "images/2024/holidays/cat-on-a-mat.jpg"},
	}
	for _, bb := range benches {
		p, s := []byte(bb.pattern), []byte(bb.subject)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Match(p, s)
			}
		})
	}
}
