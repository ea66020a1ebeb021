package route

import (
	"bytes"
	"errors"
	"fmt"
)

// Step budget of one Match call. A pattern with several greedy or lazy
// repetitions backtracks in time polynomial in the subject length, and the
// subject (a request path or host name) comes from the client. Every step of
// the matcher (entering an item, testing one byte in a repetition or a
// balance scan) costs one unit; when the budget is spent the match fails.
// The budget grows with the subject so that the work is bounded by a
// constant factor of the bytes a client sends, while any realistic route
// pattern matching a realistic path stays far below it.
const (
	stepsBase    = 4096
	stepsPerByte = 64
)

// Match reports whether pattern matches subject the way Mongrel2's
// pattern_match does: the match is anchored at the start of subject and
// succeeds as soon as the pattern is exhausted, unless the pattern ends in
// '$', which then requires the end of subject.
//
// Syntax: '.' any byte; '\a \c \d \l \p \s \u \w \x' the C-locale classes
// isalpha, iscntrl, isdigit, islower, ispunct, isspace, isupper, isalnum and
// isxdigit, '\z' the byte 0, upper case for the complement; '\' before any
// other byte is that byte; '[set]' and '[^set]' with ranges and classes;
// '*' '+' '-' '?' quantifiers on the single item before them; '\bxy'
// balanced match; '\f[set]' frontier; '(' and ')' are skipped; '$' is special
// only as the last pattern byte. A NUL byte ends the pattern, as it does in C.
//
// Bytes are compared as C's signed char, as Mongrel2 does: a range such as
// [\x01-\xff] contains no byte at or above 0x80, while [\x80-\xff] contains
// them all. Bytes at or above 0x80 belong to no class.
//
// Malformed patterns (a trailing '\', a '[' without ']', '\b' without two
// delimiters, '\f' without '[') never match; Mongrel2 reads past the end of
// the pattern there. Use [ValidatePattern] to reject them up front.
// Match gives up and reports false after a step budget proportional to the
// subject length (about 4096 + 64 steps per subject byte), so a hostile
// subject cannot make a backtracking pattern burn CPU.
//
// Match does not allocate.
func Match(pattern, subject []byte) bool {
	if i := bytes.IndexByte(pattern, 0); i >= 0 {
		pattern = pattern[:i]
	}
	m := matcher{
		pat:   pattern,
		src:   subject,
		steps: budget(len(subject)),
	}
	return m.match(0, 0) >= 0
}

// budget is the number of steps Match may take on a subject of n bytes.
func budget(n int) int { return stepsBase + stepsPerByte*n }

// ValidatePattern reports whether pattern is well formed, that is whether
// Match can ever get to its end. It checks only the syntax that Mongrel2
// would read past the end of the pattern for.
func ValidatePattern(pattern string) error {
	p := []byte(pattern)
	if i := bytes.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	m := matcher{pat: p}
	for i := 0; i < len(p); {
		switch p[i] {
		case '(', ')':
			i++
			continue
		case '\\':
			if i+1 < len(p) && p[i+1] == 'b' {
				if i+3 >= len(p) {
					return fmt.Errorf("route: pattern %q: \\b at byte %d needs two delimiters", pattern, i)
				}
				i += 4
				continue
			}
			if i+1 < len(p) && p[i+1] == 'f' {
				if i+2 >= len(p) || p[i+2] != '[' {
					return fmt.Errorf("route: pattern %q: \\f at byte %d must be followed by [set]", pattern, i)
				}
				end := m.classEnd(i + 2)
				if end < 0 {
					return fmt.Errorf("route: pattern %q: set at byte %d: %w", pattern, i+2, errMissingBracket)
				}
				i = end
				continue
			}
		}
		end := m.classEnd(i)
		if end < 0 {
			if p[i] == '\\' {
				return fmt.Errorf("route: pattern %q: ends with an escape character", pattern)
			}
			return fmt.Errorf("route: pattern %q: set at byte %d: %w", pattern, i, errMissingBracket)
		}
		i = end
		if i < len(p) && (p[i] == '?' || p[i] == '*' || p[i] == '+' || p[i] == '-') {
			i++
		}
	}
	return nil
}

var errMissingBracket = errors.New("missing ]")

// matcher holds the state of one Match call. Positions are indexes into pat
// and src; a negative result means no match.
type matcher struct {
	pat   []byte
	src   []byte
	steps int // remaining budget; below zero aborts the whole match
}

// fail marks the whole match as failed, whatever branch is being tried: used
// when the budget is spent and when the pattern turns out to be malformed.
func (m *matcher) fail() int {
	m.steps = -1
	return -1
}

func (m *matcher) spend() bool {
	m.steps--
	return m.steps >= 0
}

// match matches pat[p:] against src[s:] and returns the end of the match in
// src, or -1. Recursion happens only for quantified items, always with a
// later pattern position, so its depth is bounded by the pattern length.
func (m *matcher) match(s, p int) int {
	pat := m.pat
	for {
		if !m.spend() {
			return -1
		}
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(', ')':
			p++
			continue
		case '\\':
			if p+1 < len(pat) {
				switch pat[p+1] {
				case 'b':
					if p+3 >= len(pat) {
						return m.fail()
					}
					s = m.matchBalance(s, pat[p+2], pat[p+3])
					if s < 0 {
						return -1
					}
					p += 4
					continue
				case 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						return m.fail()
					}
					ep := m.classEnd(p)
					if ep < 0 {
						return m.fail()
					}
					var prev, cur byte
					if s > 0 {
						prev = m.src[s-1]
					}
					if s < len(m.src) {
						cur = m.src[s]
					}
					if m.matchBracket(prev, p, ep-1) || !m.matchBracket(cur, p, ep-1) {
						return -1
					}
					p = ep
					continue
				}
			}
		case '$':
			if p+1 == len(pat) {
				if s == len(m.src) {
					return s
				}
				return -1
			}
		}

		// A single item, possibly followed by a quantifier.
		ep := m.classEnd(p)
		if ep < 0 {
			return m.fail()
		}
		ok := s < len(m.src) && m.single(m.src[s], p, ep)
		var q byte
		if ep < len(pat) {
			q = pat[ep]
		}
		switch q {
		case '?':
			if ok {
				if r := m.match(s+1, ep+1); r >= 0 {
					return r
				}
				if m.steps < 0 {
					return -1
				}
			}
			p = ep + 1
		case '*':
			return m.maxExpand(s, p, ep)
		case '+':
			if !ok {
				return -1
			}
			return m.maxExpand(s+1, p, ep)
		case '-':
			return m.minExpand(s, p, ep)
		default:
			if !ok {
				return -1
			}
			s++
			p = ep
		}
	}
}

// maxExpand matches as many repetitions of the item pat[p:ep] as possible,
// then gives them back one by one until the rest of the pattern matches.
func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(m.src) && m.single(m.src[s+i], p, ep) {
		if !m.spend() {
			return -1
		}
		i++
	}
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r >= 0 {
			return r
		}
		if m.steps < 0 {
			return -1
		}
	}
	return -1
}

// minExpand tries the rest of the pattern after as few repetitions of the
// item pat[p:ep] as possible, adding one at a time.
func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r >= 0 {
			return r
		}
		if m.steps < 0 {
			return -1
		}
		if s < len(m.src) && m.single(m.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

// matchBalance matches a run starting with open and ending with the close
// that balances it, counting nested opens.
func (m *matcher) matchBalance(s int, open, close byte) int {
	if s >= len(m.src) || m.src[s] != open {
		return -1
	}
	depth := 1
	for s++; s < len(m.src); s++ {
		if !m.spend() {
			return -1
		}
		switch c := m.src[s]; {
		case c == close:
			depth--
			if depth == 0 {
				return s + 1
			}
		case c == open:
			depth++
		}
	}
	return -1
}

// classEnd returns the position just after the single item starting at
// pat[p] (a byte, an escape, or a bracketed set), or -1 if the item runs off
// the end of the pattern.
func (m *matcher) classEnd(p int) int {
	pat := m.pat
	c := pat[p]
	p++
	switch c {
	case '\\':
		if p >= len(pat) {
			return -1
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		// The first byte of the set is taken literally even if it is ']'.
		for {
			if p >= len(pat) {
				return -1
			}
			c := pat[p]
			p++
			if c == '\\' && p < len(pat) {
				p++
			}
			if p >= len(pat) {
				return -1
			}
			if pat[p] == ']' {
				return p + 1
			}
		}
	default:
		return p
	}
}

// single reports whether byte c matches the item pat[p:ep].
func (m *matcher) single(c byte, p, ep int) bool {
	switch m.pat[p] {
	case '.':
		return true
	case '\\':
		return matchClass(c, m.pat[p+1])
	case '[':
		return m.matchBracket(c, p, ep-1)
	default:
		return m.pat[p] == c
	}
}

// matchBracket reports whether c is in the set pat[p:ec+1], where pat[p] is
// '[' and pat[ec] is the closing ']'. Range bounds compare as signed char.
func (m *matcher) matchBracket(c byte, p, ec int) bool {
	pat := m.pat
	in := true
	if pat[p+1] == '^' {
		in = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case pat[p] == '\\':
			p++
			if matchClass(c, pat[p]) {
				return in
			}
		case pat[p+1] == '-' && p+2 < ec:
			p += 2
			if int8(pat[p-2]) <= int8(c) && int8(c) <= int8(pat[p]) {
				return in
			}
		case pat[p] == c:
			return in
		}
	}
	return !in
}

// matchClass reports whether c matches the escape '\cl': a C-locale class
// for the class letters (complemented in upper case), else cl itself.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 0x20 || c == 0x7f
	case 'd':
		res = isDigit(c)
	case 'l':
		res = 'a' <= c && c <= 'z'
	case 'p':
		res = 0x20 < c && c < 0x7f && !isAlpha(c) && !isDigit(c)
	case 's':
		res = c == ' ' || ('\t' <= c && c <= '\r')
	case 'u':
		res = 'A' <= c && c <= 'Z'
	case 'w':
		res = isAlpha(c) || isDigit(c)
	case 'x':
		res = isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if 'a' <= cl && cl <= 'z' {
		return res
	}
	return !res
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
