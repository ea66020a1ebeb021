package http1

// Byte classes are 128-bit sets written as two constant masks: lo holds bytes
// 0-63, hi holds bytes 64-127. Bytes 128-255 are in no class. Constants keep
// the tables out of package state and the lookups branch-light.
const (
	hiAlpha uint64 = (1<<26-1)<<('A'-64) | (1<<26-1)<<('a'-64)
	loDigit uint64 = (1<<10 - 1) << '0'

	// RFC 3986 unreserved: ALPHA DIGIT - . _ ~
	loUnreserved = loDigit | 1<<'-' | 1<<'.'
	hiUnreserved = hiAlpha | 1<<('_'-64) | 1<<('~'-64)

	// RFC 3986 sub-delims: ! $ & ' ( ) * + , ; =
	loSubDelims uint64 = 1<<'!' | 1<<'$' | 1<<'&' | 1<<'\'' | 1<<'(' | 1<<')' |
		1<<'*' | 1<<'+' | 1<<',' | 1<<';' | 1<<'='
	// request.relaxed adds { } ^ to the sub-delims.
	hiRelaxed uint64 = 1<<('{'-64) | 1<<('}'-64) | 1<<('^'-64)

	// Header-name token: visible ASCII (33-126) minus the separators
	// ( ) < > @ , ; : \ " / [ ] ? = { }.
	loToken = ^uint64(0) &^ (1<<33 - 1) &^ (1<<'"' | 1<<'(' | 1<<')' | 1<<',' |
		1<<'/' | 1<<':' | 1<<';' | 1<<'<' | 1<<'=' | 1<<'>' | 1<<'?')
	hiToken = (1<<63 - 1) &^ (1<<('@'-64) | 1<<('['-64) | 1<<('\\'-64) |
		1<<(']'-64) | 1<<('{'-64) | 1<<('}'-64))

	// Scheme characters after the first letter: ALPHA DIGIT + - .
	loScheme = loDigit | 1<<'+' | 1<<'-' | 1<<'.'
)

// in reports whether c is in the set (lo, hi).
func in(c byte, lo, hi uint64) bool {
	if c < 64 {
		return lo&(1<<c) != 0
	}
	return c < 128 && hi&(1<<(c-64)) != 0
}

func isAlpha(c byte) bool { return in(c, 0, hiAlpha) }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isToken(c byte) bool { return in(c, loToken, hiToken) }

// isMethodChar is Mongrel2's method alphabet: upper-case letters and digits.
func isMethodChar(c byte) bool { return 'A' <= c && c <= 'Z' || isDigit(c) }

// isXMLTagChar is the alphabet of an XML socket message tag: [a-zA-Z0-9.-].
func isXMLTagChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '.' || c == '-'
}

// isSpace is Ragel's "space" class (C isspace): HT LF VT FF CR SP.
func isSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring
// ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// trimOWS strips leading and trailing SP and HTAB.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
