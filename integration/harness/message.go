package harness

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Header encodings a request message can carry (spec §2.2).
const (
	FormatJSON       = "json"
	FormatTNetstring = "tnetstring"
)

// Message is one request or event message a handler received from the
// server: `UUID SP ID SP PATH SP HEADERS BODY`.
type Message struct {
	Handler string // name of the recording handler that received it
	Raw     []byte // the message exactly as received
	UUID    string
	ID      string // connection id, decimal as on the wire
	Path    string
	Format  string // FormatJSON or FormatTNetstring
	// HeadersRaw is the header payload (JSON object text or tnetstring dict
	// content) without its length prefix and type tag.
	HeadersRaw []byte
	Headers    map[string]Header
	Body       []byte
}

// Header is one decoded header value: a single string, or a list when the
// server sent an array (a header name repeated by the client).
type Header struct {
	Values []string
	List   bool
}

// String renders h the way it would look in JSON, for test messages.
func (h Header) String() string {
	if !h.List && len(h.Values) == 1 {
		return strconv.Quote(h.Values[0])
	}
	q := make([]string, len(h.Values))
	for i, v := range h.Values {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// Get returns the first value of header key, or "" when it is absent.
func (m *Message) Get(key string) string {
	h, ok := m.Headers[key]
	if !ok || len(h.Values) == 0 {
		return ""
	}
	return h.Values[0]
}

// IsEvent reports whether m is a server event (disconnect, credits) rather
// than a request: events carry the path `@*`.
func (m *Message) IsEvent() bool { return m.Path == "@*" }

// ErrMalformed is wrapped by every error ParseMessage returns.
var ErrMalformed = errors.New("malformed handler message")

// ParseMessage decodes a request message. JSON headers are decoded
// leniently: the real Mongrel2 writes control and non-UTF-8 bytes raw inside
// JSON strings (spec §2.3), so such bytes are kept as they are, while the
// standard escapes (including \u00XX) are decoded as JSON defines them. A
// header key given twice is an error: Mongrel2 keeps headers in a hash and
// never repeats a key, so a server that does is wrong.
func ParseMessage(raw []byte) (*Message, error) {
	m := &Message{Raw: raw}
	rest := raw
	var fields [3]string
	for i := range fields {
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("harness: %w: missing field %d", ErrMalformed, i+1)
		}
		fields[i], rest = string(rest[:sp]), rest[sp+1:]
	}
	m.UUID, m.ID, m.Path = fields[0], fields[1], fields[2]
	if _, err := strconv.ParseUint(m.ID, 10, 32); err != nil {
		return nil, fmt.Errorf("harness: %w: id %q", ErrMalformed, m.ID)
	}
	hdr, tag, rest, err := splitTNet(rest)
	if err != nil {
		return nil, fmt.Errorf("harness: headers: %w", err)
	}
	m.HeadersRaw = hdr
	switch tag {
	case ',':
		m.Format = FormatJSON
		m.Headers, err = parseJSONHeaders(hdr)
	case '}':
		m.Format = FormatTNetstring
		m.Headers, err = parseTNetHeaders(hdr)
	default:
		err = fmt.Errorf("%w: header tag %q", ErrMalformed, tag)
	}
	if err != nil {
		return nil, fmt.Errorf("harness: headers: %w", err)
	}
	body, tag, rest, err := splitTNet(rest)
	if err != nil || tag != ',' || len(rest) != 0 {
		return nil, fmt.Errorf("harness: %w: body netstring (tag %q, %d trailing bytes, %v)", ErrMalformed, tag, len(rest), err)
	}
	m.Body = body
	return m, nil
}

// splitTNet splits `LEN:DATA<tag>` off the front of b.
func splitTNet(b []byte) (data []byte, tag byte, rest []byte, err error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 || colon > 9 {
		return nil, 0, nil, fmt.Errorf("%w: no length prefix", ErrMalformed)
	}
	n, err := strconv.Atoi(string(b[:colon]))
	if err != nil || n < 0 {
		return nil, 0, nil, fmt.Errorf("%w: length %q", ErrMalformed, b[:colon])
	}
	b = b[colon+1:]
	if len(b) < n+1 {
		return nil, 0, nil, fmt.Errorf("%w: %d bytes announced, %d left", ErrMalformed, n, len(b)-1)
	}
	return b[:n], b[n], b[n+1:], nil
}

func parseTNetHeaders(b []byte) (map[string]Header, error) {
	out := map[string]Header{}
	for len(b) > 0 {
		key, tag, rest, err := splitTNet(b)
		if err != nil {
			return nil, err
		}
		if tag != ',' {
			return nil, fmt.Errorf("%w: key tag %q", ErrMalformed, tag)
		}
		val, tag, rest, err := splitTNet(rest)
		if err != nil {
			return nil, err
		}
		var h Header
		switch tag {
		case ',':
			h.Values = []string{string(val)}
		case ']':
			h.List = true
			for len(val) > 0 {
				item, itag, irest, err := splitTNet(val)
				if err != nil {
					return nil, err
				}
				if itag != ',' {
					return nil, fmt.Errorf("%w: list item tag %q", ErrMalformed, itag)
				}
				h.Values = append(h.Values, string(item))
				val = irest
			}
		default:
			return nil, fmt.Errorf("%w: value tag %q", ErrMalformed, tag)
		}
		if _, dup := out[string(key)]; dup {
			return nil, fmt.Errorf("%w: key %q repeated", ErrMalformed, key)
		}
		out[string(key)] = h
		b = rest
	}
	return out, nil
}

// jsonScanner decodes the one JSON shape Mongrel2 emits for headers: an
// object whose values are strings or arrays of strings.
type jsonScanner struct {
	b []byte
	i int
}

func parseJSONHeaders(b []byte) (map[string]Header, error) {
	s := &jsonScanner{b: b}
	out := map[string]Header{}
	if !s.eat('{') {
		return nil, s.fail("want '{'")
	}
	if s.eat('}') {
		return out, s.end()
	}
	for {
		key, err := s.str()
		if err != nil {
			return nil, err
		}
		if !s.eat(':') {
			return nil, s.fail("want ':'")
		}
		var h Header
		if s.eat('[') {
			h.List = true
			for !s.eat(']') {
				if len(h.Values) > 0 && !s.eat(',') {
					return nil, s.fail("want ',' in array")
				}
				v, err := s.str()
				if err != nil {
					return nil, err
				}
				h.Values = append(h.Values, v)
			}
		} else {
			v, err := s.str()
			if err != nil {
				return nil, err
			}
			h.Values = []string{v}
		}
		if _, dup := out[key]; dup {
			return nil, s.fail("key " + strconv.Quote(key) + " repeated")
		}
		out[key] = h
		if s.eat('}') {
			return out, s.end()
		}
		if !s.eat(',') {
			return nil, s.fail("want ',' or '}'")
		}
	}
}

func (s *jsonScanner) fail(what string) error {
	return fmt.Errorf("%w: json at byte %d: %s", ErrMalformed, s.i, what)
}

func (s *jsonScanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScanner) end() error {
	if s.i != len(s.b) {
		return s.fail("trailing bytes")
	}
	return nil
}

func (s *jsonScanner) str() (string, error) {
	if !s.eat('"') {
		return "", s.fail("want '\"'")
	}
	var out []byte
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch c {
		case '"':
			return string(out), nil
		case '\\':
			if s.i >= len(s.b) {
				return "", s.fail("truncated escape")
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, err := s.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					r2, err := s.hex4()
					if err != nil {
						return "", err
					}
					r = utf16.DecodeRune(r, r2)
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", s.fail("unknown escape")
			}
		default:
			out = append(out, c) // raw bytes, including Mongrel2's unescaped controls
		}
	}
	return "", s.fail("unterminated string")
}

func (s *jsonScanner) hex4() (rune, error) {
	if s.i+4 > len(s.b) {
		return 0, s.fail("truncated \\u escape")
	}
	n, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 16)
	if err != nil {
		return 0, s.fail("bad \\u escape")
	}
	s.i += 4
	return rune(n), nil
}

// AppendReply appends a handler reply `UUID SP LEN:IDS, SP BODY` (spec §2.8)
// addressed to ids. An empty body asks the server to close the connections.
func AppendReply(dst []byte, uuid string, ids []string, body []byte) []byte {
	idList := strings.Join(ids, " ")
	dst = append(dst, uuid...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(idList)), 10)
	dst = append(dst, ':')
	dst = append(dst, idList...)
	dst = append(dst, ", "...)
	return append(dst, body...)
}

// AppendControl appends an extended reply `UUID SP LEN:X IDS, SP ["ctl", {KEY: null}]`
// (spec §2.8) that asks the server to apply the ctl key (keep-alive,
// cancel) to ids.
func AppendControl(dst []byte, uuid string, ids []string, key string) []byte {
	dst = append(dst, uuid...)
	idList := "X " + strings.Join(ids, " ")
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(idList)), 10)
	dst = append(dst, ':')
	dst = append(dst, idList...)
	dst = append(dst, ", "...)
	return append(dst, TNetList(TNetString("ctl")+TNetDict(TNetString(key)+"0:~"))...)
}

// TNetString encodes s as a tnetstring string.
func TNetString(s string) string { return strconv.Itoa(len(s)) + ":" + s + "," }

// TNetDict wraps already encoded key/value pairs as a tnetstring dict.
func TNetDict(pairs string) string { return strconv.Itoa(len(pairs)) + ":" + pairs + "}" }

// TNetList wraps already encoded items as a tnetstring list.
func TNetList(items string) string { return strconv.Itoa(len(items)) + ":" + items + "]" }
