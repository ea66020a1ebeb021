package m2

import (
	"encoding/binary"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Valid UTF-8 other than
// control bytes passes through unchanged; ", \ become \" and \\; control
// bytes, DEL and each byte that is not part of valid UTF-8 become \u00XX.
// Mongrel2 escapes only " and \ and so can emit invalid JSON (spec §14.2
// item 3); mapping a stray byte to U+00XX keeps the object valid while
// still telling the handler which byte was sent.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Header values are mostly plain ASCII: skip it eight bytes at a time.
		if len(s)-i >= 8 && plain8(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if plain(c) {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(s[i:]); r != utf8.RuneError || size > 1 {
				i += size
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plain reports whether c goes into a JSON string as it is without a UTF-8
// check: printable ASCII other than " and \.
func plain(c byte) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
}

// plain8 reports whether all eight bytes packed in x are plain, using the
// usual SWAR tests (each sets a byte's top bit when that byte matches).
func plain8(x uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	q, b := x^('"'*ones), x^('\\'*ones) // zero bytes where x has " or \
	control := (x - 0x20*ones) &^ x     // a byte below 0x20
	high := (x + ones) | x              // a byte above 0x7e
	quote := (q - ones) &^ q
	slash := (b - ones) &^ b
	return (control|high|quote|slash)&tops == 0
}
