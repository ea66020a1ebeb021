package m2

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/bareku/bareku/protocol/tnetstring"
)

// decodeTNetHeaders adds the pairs of the tnetstring dict in b to h.
func decodeTNetHeaders(b []byte, h map[string][]string) error {
	v, _, err := tnetstring.Parse(b)
	if err != nil {
		return err
	}
	for _, p := range v.Dict {
		key := string(p.Key)
		switch p.Value.Type {
		case tnetstring.TypeString:
			h[key] = append(h[key], string(p.Value.Str))
		case tnetstring.TypeList:
			vals := h[key]
			for _, e := range p.Value.List {
				if e.Type != tnetstring.TypeString {
					return fmt.Errorf("header %q: list element is not a string", key)
				}
				vals = append(vals, string(e.Str))
			}
			h[key] = vals
		default:
			return fmt.Errorf("header %q: value is neither a string nor a list", key)
		}
	}
	return nil
}

// decodeJSONHeaders adds the members of the JSON object in b to h. Values
// must be strings or arrays of strings.
func decodeJSONHeaders(b []byte, h map[string][]string) error {
	d := jsonDecoder{b: b}
	if !d.eat('{') {
		return d.fail("want {")
	}
	if d.eat('}') {
		return d.end()
	}
	for {
		key, err := d.str()
		if err != nil {
			return err
		}
		if !d.eat(':') {
			return d.fail("want :")
		}
		vals := h[key]
		if d.eat('[') {
			for first := true; !d.eat(']'); first = false {
				if !first && !d.eat(',') {
					return d.fail("want , or ]")
				}
				s, err := d.str()
				if err != nil {
					return err
				}
				vals = append(vals, s)
			}
			if vals == nil {
				vals = []string{}
			}
		} else {
			s, err := d.str()
			if err != nil {
				return err
			}
			vals = append(vals, s)
		}
		h[key] = vals
		if d.eat('}') {
			return d.end()
		}
		if !d.eat(',') {
			return d.fail("want , or }")
		}
	}
}

// jsonDecoder reads the small JSON subset of handler headers.
type jsonDecoder struct {
	b   []byte
	pos int
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

// eat skips white space and then c if it is next.
func (d *jsonDecoder) eat(c byte) bool {
	d.skipSpace()
	if d.pos < len(d.b) && d.b[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *jsonDecoder) end() error {
	d.skipSpace()
	if d.pos != len(d.b) {
		return d.fail("data after the object")
	}
	return nil
}

func (d *jsonDecoder) fail(what string) error {
	return fmt.Errorf("byte %d: %s", d.pos, what)
}

var errUnterminated = errors.New("unterminated string")

// str reads a string. Bytes other than " and \ are taken as they are, so
// Mongrel2's raw control bytes and invalid UTF-8 survive.
func (d *jsonDecoder) str() (string, error) {
	if !d.eat('"') {
		return "", d.fail("want a string")
	}
	start := d.pos
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case '"':
			d.pos++
			return string(d.b[start : d.pos-1]), nil
		case '\\':
			return d.strEscaped(start)
		}
		d.pos++
	}
	return "", errUnterminated
}

// strEscaped finishes a string that holds escapes; d.pos is at the first
// backslash.
func (d *jsonDecoder) strEscaped(start int) (string, error) {
	buf := append([]byte(nil), d.b[start:d.pos]...)
	for d.pos < len(d.b) {
		c := d.b[d.pos]
		d.pos++
		switch c {
		case '"':
			return string(buf), nil
		case '\\':
		default:
			buf = append(buf, c)
			continue
		}
		if d.pos == len(d.b) {
			break
		}
		c = d.b[d.pos]
		d.pos++
		switch c {
		case '"', '\\', '/':
			buf = append(buf, c)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail(`bad \u escape`)
			}
			if r >= 0xd800 && r < 0xdc00 { // high surrogate: look for its pair
				if d.pos+1 < len(d.b) && d.b[d.pos] == '\\' && d.b[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					if lo, ok := d.hex4(); ok && lo >= 0xdc00 && lo < 0xe000 {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					} else {
						d.pos = save
					}
				}
			}
			buf = utf8.AppendRune(buf, r) // a lone surrogate becomes U+FFFD
		default:
			return "", d.fail("bad escape")
		}
	}
	return "", errUnterminated
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			c = (c | 0x20) - 'a' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}
