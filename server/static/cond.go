package static

import "time"

// Conditional-request outcomes.
const (
	condOK          = 200
	condNotModified = 304
	condFailed      = 412
)

// conditions holds the conditional headers of a request, first value of
// each, as Mongrel2 reads them.
type conditions struct {
	ifMatch, ifNoneMatch            []byte
	hasIfMatch, hasIfNoneMatch      bool
	ifModifiedSince, ifUnmodSince   int64
	hasModifiedSince, hasUnmodSince bool
}

// evaluate applies Mongrel2's decision order (Dir_calculate_response, spec
// §5) to a file with the given ETag and mtime (Unix seconds):
//
//  1. If-Match that does not match → 412.
//  2. If-Unmodified-Since older than the file → 412.
//  3. If-None-Match present: a match → 304; otherwise step 4 if
//     If-Modified-Since is present, else 200.
//  4. If-Modified-Since not in the future and not older than the file → 304.
//  5. Otherwise 200.
//
// Fixed on purpose: If-Match is compared with the real ETag instead of the
// pattern [a-e0-9]+-[a-e0-9]+; both entity-tag fields accept quoted tags and
// comma-separated lists; dates are UTC; and a satisfied If-Unmodified-Since
// on its own answers 200 where Mongrel2 fell off its decision tree into 500.
func (c *conditions) evaluate(etag string, mtime int64, now time.Time) int {
	if c.hasIfMatch && !etagListMatch(c.ifMatch, etag, false) {
		return condFailed
	}
	if c.hasUnmodSince && mtime > c.ifUnmodSince {
		return condFailed
	}
	if c.hasIfNoneMatch && etagListMatch(c.ifNoneMatch, etag, true) {
		return condNotModified
	}
	if c.hasModifiedSince && c.ifModifiedSince <= now.Unix() && mtime <= c.ifModifiedSince {
		return condNotModified
	}
	return condOK
}

// etagListMatch reports whether an If-Match or If-None-Match value names
// etag: "*", or a comma-separated list of entity tags, each quoted
// ("6b0994e1-c", the RFC 9110 form) or bare (6b0994e1-c, the form Mongrel2
// sends and old clients echo back). weak allows W/ tags, as If-None-Match's
// weak comparison does; If-Match compares strongly and never matches them.
func etagListMatch(v []byte, etag string, weak bool) bool {
	i := 0
	for i < len(v) {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == ',') {
			i++
		}
		if i == len(v) {
			break
		}
		isWeak := false
		if i+1 < len(v) && v[i] == 'W' && v[i+1] == '/' {
			isWeak = true
			i += 2
		}
		var tag []byte
		quoted := i < len(v) && v[i] == '"'
		if quoted {
			end := i + 1
			for end < len(v) && v[end] != '"' {
				end++
			}
			if end == len(v) { // unterminated: not a tag
				return false
			}
			tag = v[i+1 : end]
			i = end + 1
		} else {
			end := i
			for end < len(v) && v[end] != ',' {
				end++
			}
			tag = trimSpace(v[i:end])
			i = end
		}
		if !quoted && !isWeak && string(tag) == "*" {
			return true
		}
		if (weak || !isWeak) && string(tag) == etag {
			return true
		}
		// Skip anything between the tag and the next comma.
		for i < len(v) && v[i] != ',' {
			i++
		}
	}
	return false
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseHTTPDate reads a date the way Mongrel2's strptime format
// "%a, %d %b %Y %H:%M:%S GMT" does (glibc rules: day and month names full or
// abbreviated in any case, numbers of up to 2 or 4 digits, whitespace in the
// format matching any run of whitespace, trailing bytes ignored), and
// returns it as Unix seconds, taking the time as UTC. Mongrel2 used
// mktime(3), i.e. the server's local zone.
func parseHTTPDate(v []byte) (int64, bool) {
	weekdays := [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
	months := [...]string{"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"}
	p := dateParser{s: v}
	p.name(weekdays[:])
	p.lit(',')
	day := p.num(2, 1, 31)
	month := p.name(months[:])
	year := p.num(4, 0, 9999)
	hour := p.num(2, 0, 23)
	p.lit(':')
	minute := p.num(2, 0, 59)
	p.lit(':')
	sec := p.num(2, 0, 61)
	p.skipSpace()
	p.lit('G')
	p.lit('M')
	p.lit('T')
	if p.bad {
		return 0, false
	}
	t := time.Date(year, time.Month(month+1), day, hour, minute, sec, 0, time.UTC)
	return t.Unix(), true
}

// dateParser is a cursor over a date value; the first failure sticks.
type dateParser struct {
	s   []byte
	i   int
	bad bool
}

func (p *dateParser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// lit matches one literal format character; a space in the format stands
// for any run of whitespace, and glibc lets conversions skip leading
// whitespace, so the callers never need to match spaces themselves.
func (p *dateParser) lit(c byte) {
	if p.bad {
		return
	}
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return
	}
	p.bad = true
}

// name matches a full or three-letter name from the list, ignoring case,
// and returns its index.
func (p *dateParser) name(list []string) int {
	if p.bad {
		return 0
	}
	p.skipSpace()
	for idx, full := range list {
		if n := p.prefixFold(full); n == len(full) {
			p.i += n
			return idx
		}
	}
	for idx, full := range list {
		if n := p.prefixFold(full[:3]); n == 3 {
			p.i += n
			return idx
		}
	}
	p.bad = true
	return 0
}

// prefixFold returns len(word) if the input at the cursor starts with word
// (lower-case ASCII) ignoring case, and something smaller otherwise.
func (p *dateParser) prefixFold(word string) int {
	for k := 0; k < len(word); k++ {
		if p.i+k >= len(p.s) || p.s[p.i+k]|0x20 != word[k] {
			return k
		}
	}
	return len(word)
}

// num reads a number of up to width digits as glibc does: it stops early
// when one more digit would exceed hi, then checks the range.
func (p *dateParser) num(width, lo, hi int) int {
	if p.bad {
		return 0
	}
	p.skipSpace()
	n, k := 0, 0
	for k < width && p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		if k > 0 && n*10 > hi {
			break
		}
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
		k++
	}
	if k == 0 || n < lo || n > hi {
		p.bad = true
	}
	return n
}
