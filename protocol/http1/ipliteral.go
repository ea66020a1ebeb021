package http1

import "bytes"

// scanIPLiteral checks the IP literal that starts at buf[start], just after
// its '[', and returns the index of the closing ']'.
func scanIPLiteral(buf []byte, start int, relaxed bool) (int, error) {
	var hiSub uint64
	if relaxed {
		hiSub = hiRelaxed
	}
	// Every byte an IPv6address or IPvFuture can hold.
	lo, hi := loUnreserved|loSubDelims|1<<':', hiUnreserved|hiSub
	end := start
	for end < len(buf) && in(buf[end], lo, hi) {
		end++
	}
	alive, complete := checkIPLiteral(buf[start:end])
	switch {
	case !alive:
		return 0, ErrTarget
	case end == len(buf):
		return 0, errNeedMore
	case buf[end] != ']' || !complete:
		return 0, ErrTarget
	}
	return end, nil
}

// checkIPLiteral reports whether s (the text between '[' and ']', or a
// prefix of it) can still become a valid IP literal, and whether it already
// is one.
func checkIPLiteral(s []byte) (alive, complete bool) {
	if len(s) > 0 && s[0] == 'v' {
		return checkIPvFuture(s[1:])
	}
	return checkIPv6(s)
}

// checkIPvFuture checks what follows the 'v' of "v" 1*HEXDIG "." 1*(...);
// the caller has already limited the bytes to the allowed set.
func checkIPvFuture(s []byte) (alive, complete bool) {
	i := 0
	for i < len(s) && isHex(s[i]) {
		i++
	}
	switch {
	case i == len(s):
		return true, false
	case i == 0 || s[i] != '.':
		return false, false
	}
	return true, i+1 < len(s)
}

// checkIPv6 checks an IPv6 address the way Mongrel2 1.12.2 does, which is
// not RFC 3986. Its Ragel grammar writes the RFC's repetition counts as
// prefixes, "6( h16 ":" ) ls32", which Ragel reads as a literal control byte
// (here \x06) followed by one group, and it writes "[ *N( h16 ":" ) h16 ]"
// as "( ( h16 ":" ){N,} h16 )?", at least N+1 groups. Dropping the
// alternatives that need a control byte (this package accepts no control
// bytes in a target), what Mongrel2 accepts is exactly
//
//	[ b groups ] "::" a-form
//
// where the a-form is empty (a=0), h16 (a=1), h16:h16 or IPv4 (a=2), or
// h16:h16:h16 or h16:IPv4 (a=3), and b == 0 or b+a >= 7. So "::1",
// "::ffff:1.2.3.4" and "1:2:3:4:5:6::1" are accepted while "2001:db8::1"
// and the full eight-group form are not. Observed on the wire against the
// real server.
func checkIPv6(s []byte) (alive, complete bool) {
	for _, c := range s {
		if !isHex(c) && c != ':' && c != '.' {
			return false, false
		}
	}
	dbl := bytes.Index(s, []byte("::"))
	if dbl < 0 {
		// Without "::" this can only be the start of the groups before one.
		if len(s) == 0 || len(s) == 1 && s[0] == ':' {
			return true, false
		}
		return h16Groups(s, true), false
	}

	b := 0
	if dbl > 0 {
		if !h16Groups(s[:dbl], false) {
			return false, false
		}
		b = bytes.Count(s[:dbl], []byte(":")) + 1
	}
	if b >= 1 && b <= 3 {
		return false, false // no a-form satisfies b+a >= 7
	}

	after := s[dbl+2:]
	if len(after) == 0 {
		return true, ipv6Allowed(b, 0)
	}
	groups := 1 // groups in after, counting the last (maybe partial) one
	last := after
	for {
		k := bytes.IndexByte(last, ':')
		if k < 0 {
			break
		}
		if !isH16(last[:k]) {
			return false, false
		}
		groups++
		last = last[k+1:]
	}
	if groups > 3 {
		return false, false
	}
	if bytes.IndexByte(last, '.') >= 0 {
		// An IPv4 address counts as two groups and ends the address.
		if !ipv6Allowed(b, groups+1) {
			return false, false
		}
		return checkIPv4(last)
	}
	if len(last) > 4 {
		return false, false
	}
	// With at most three groups the a=3 forms are always still reachable.
	return true, len(last) > 0 && ipv6Allowed(b, groups)
}

// ipv6Allowed reports whether Mongrel2 accepts b groups before "::" and an
// a-form of size a after it.
func ipv6Allowed(b, a int) bool { return a <= 3 && (b == 0 || b+a >= 7) }

// h16Groups reports whether s is h16 groups separated by single colons; with
// partial set, the last group may be empty or short of its end.
func h16Groups(s []byte, partial bool) bool {
	for {
		k := bytes.IndexByte(s, ':')
		if k < 0 {
			return isH16(s) || partial && len(s) == 0
		}
		if !isH16(s[:k]) {
			return false
		}
		s = s[k+1:]
	}
}

// isH16 reports whether s is 1 to 4 hex digits.
func isH16(s []byte) bool {
	if len(s) == 0 || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// checkIPv4 checks a dotted-quad, or a prefix of one, with RFC 3986's
// dec-octet: no leading zeros, at most 255.
func checkIPv4(s []byte) (alive, complete bool) {
	octets := 0
	for {
		octets++
		k := bytes.IndexByte(s, '.')
		if k < 0 {
			break
		}
		if octets == 4 || !isDecOctet(s[:k]) {
			return false, false
		}
		s = s[k+1:]
	}
	if len(s) == 0 {
		return true, false
	}
	// Every prefix of a dec-octet is itself one.
	return isDecOctet(s), octets == 4 && isDecOctet(s)
}

func isDecOctet(s []byte) bool {
	if len(s) == 0 || len(s) > 3 || len(s) > 1 && s[0] == '0' {
		return false
	}
	n := 0
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 255
}
