package static

import "math"

// maxRanges bounds the range-specs one Range header may hold. A header with
// more is ignored and the whole file is sent, which RFC 9110 §14.2 allows;
// it keeps a request from asking for thousands of tiny parts.
const maxRanges = 16

// rangeSpec is one range-spec as the client wrote it (RFC 9110 §14.1.1):
// first-pos "-" last-pos, first-pos "-" (last == -1), or "-" suffix-length
// (first == -1, last is the length). Numbers too large for an int64 read as
// math.MaxInt64.
type rangeSpec struct{ first, last int64 }

// byteRange is a satisfiable range resolved against a representation:
// offsets first through last, both included.
type byteRange struct{ first, last int64 }

func (r byteRange) length() int64 { return r.last - r.first + 1 }

// parseRange reads a Range value into specs and returns how many it
// holds. ok is false when the header must be ignored: a unit other than
// "bytes" (any case), a syntax error anywhere, a range whose last-pos is
// before its first-pos, no range at all, or more than maxRanges. Optional
// white space around the list elements and empty elements are allowed, as
// for every list-based field (RFC 9110 §5.6.1).
func parseRange(v []byte, specs *[maxRanges]rangeSpec) (n int, ok bool) {
	const unit = "bytes="
	if len(v) < len(unit) {
		return 0, false
	}
	for i := range len(unit) {
		if lower(v[i]) != unit[i] {
			return 0, false
		}
	}
	v = v[len(unit):]
	for len(v) > 0 {
		elem := v
		if i := indexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		elem = trimSpace(elem)
		if len(elem) == 0 {
			continue
		}
		if n == maxRanges {
			return 0, false
		}
		var s rangeSpec
		if elem[0] == '-' {
			length, rest, ok := parseDigits(elem[1:])
			if !ok || len(rest) > 0 {
				return 0, false
			}
			s = rangeSpec{first: -1, last: length}
		} else {
			first, rest, ok := parseDigits(elem)
			if !ok || len(rest) == 0 || rest[0] != '-' {
				return 0, false
			}
			s = rangeSpec{first: first, last: -1}
			if rest = rest[1:]; len(rest) > 0 {
				last, rest, ok := parseDigits(rest)
				if !ok || len(rest) > 0 || last < first {
					return 0, false
				}
				s.last = last
			}
		}
		specs[n] = s
		n++
	}
	return n, n > 0
}

// parseDigits reads 1*DIGIT from the start of b, saturating at
// math.MaxInt64, and returns the rest.
func parseDigits(b []byte) (int64, []byte, bool) {
	var n int64
	i := 0
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		d := int64(b[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + d
		}
	}
	return n, b[i:], i > 0
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// What resolveRanges decided.
const (
	rangesIgnore        = iota // send the whole representation (200)
	rangesPartial              // 206 with the ranges returned
	rangesUnsatisfiable        // 416
)

// resolveRanges applies specs to a representation of size bytes and
// stores the satisfiable ranges in out (RFC 9110 §14.1.2). Unsatisfiable
// specs are dropped; none left gives rangesUnsatisfiable. Ranges that
// overlap are coalesced: the set is then sorted and every range that
// overlaps or touches the next is merged with it, so no byte is sent
// twice; otherwise the ranges keep the order they were asked in.
//
// A zero-length representation has no bytes to send a part of: a suffix
// range (the only satisfiable kind there) is answered with the whole empty
// representation, anything else is unsatisfiable.
func resolveRanges(specs []rangeSpec, size int64, out *[maxRanges]byteRange) (n, what int) {
	for _, s := range specs {
		switch {
		case s.first < 0 && s.last == 0:
			// "-0" selects nothing.
		case s.first < 0 && size == 0:
			return 0, rangesIgnore
		case s.first < 0:
			out[n] = byteRange{first: size - min(s.last, size), last: size - 1}
			n++
		case s.first < size:
			last := size - 1
			if s.last >= 0 && s.last < last {
				last = s.last
			}
			out[n] = byteRange{first: s.first, last: last}
			n++
		}
	}
	if n == 0 {
		return 0, rangesUnsatisfiable
	}
	if overlapping(out[:n]) {
		n = coalesce(out[:n])
	}
	return n, rangesPartial
}

func overlapping(rs []byteRange) bool {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].first <= rs[j].last && rs[j].first <= rs[i].last {
				return true
			}
		}
	}
	return false
}

// coalesce sorts rs by first offset, merges ranges that overlap or touch,
// and returns how many are left at the front of rs.
func coalesce(rs []byteRange) int {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].first < rs[j-1].first; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	n := 0
	for _, r := range rs {
		if n > 0 && r.first <= rs[n-1].last+1 {
			rs[n-1].last = max(rs[n-1].last, r.last)
			continue
		}
		rs[n] = r
		n++
	}
	return n
}

// ifRangeMatches evaluates an If-Range value against a representation
// (RFC 9110 §13.1.5). An entity tag, quoted or bare (the form Mongrel2's
// ETag has), must equal etag exactly; a weak tag never matches. An HTTP
// date must equal the Last-Modified second, and only counts when that
// second is over (mtime < now), since a file changed again within the same
// second would keep its Last-Modified (§8.8.2.2).
func ifRangeMatches(v []byte, etag string, mtime, now int64) bool {
	v = trimSpace(v)
	switch {
	case len(v) >= 2 && v[0] == 'W' && v[1] == '/':
		return false
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		return string(v[1:len(v)-1]) == etag
	}
	if t, ok := parseHTTPDate(v); ok {
		return t == mtime && mtime < now
	}
	return string(v) == etag
}
