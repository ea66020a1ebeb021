package m2

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/bareku/bareku/protocol/tnetstring"
)

// Message is a request message as a handler sees it.
type Message struct {
	UUID string // the sender's send_ident
	ID   uint64 // connection id
	Path string
	// Headers maps each key to its values: one for a plain string, the
	// elements for a JSON array or tnetstring list.
	Headers map[string][]string
	// RawHeaders is the header payload as sent: the JSON object text, or
	// the tnetstring dict payload (without its length prefix and tag).
	RawHeaders []byte
	Body       []byte // aliases the message
	Protocol   Protocol
}

// ParseRequest parses a request or event message from a server:
//
//	UUID SP ID SP PATH SP HEADERS BODY
//
// HEADERS may be a netstring holding a JSON object (LEN:{...},) or a
// tnetstring dict (LEN:...}); header values must be strings or lists of
// strings. JSON strings are read leniently, as Mongrel2 writes them: raw
// control bytes and invalid UTF-8 are kept as they are. BODY is a netstring
// and must end the message. Errors wrap ErrInvalidRequest.
func ParseRequest(msg []byte) (*Message, error) {
	uuid, rest, ok := bytes.Cut(msg, []byte{' '})
	if !ok || len(uuid) == 0 {
		return nil, fmt.Errorf("%w: no uuid", ErrInvalidRequest)
	}
	idText, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return nil, fmt.Errorf("%w: no connection id", ErrInvalidRequest)
	}
	id, err := strconv.ParseUint(string(idText), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: connection id %q", ErrInvalidRequest, idText)
	}
	path, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return nil, fmt.Errorf("%w: no path", ErrInvalidRequest)
	}
	m := &Message{UUID: string(uuid), ID: id, Path: string(path), Headers: map[string][]string{}}

	hdr := rest
	typ, raw, rest, err := tnetstring.Split(hdr)
	if err != nil {
		return nil, fmt.Errorf("%w: headers: %w", ErrInvalidRequest, err)
	}
	m.RawHeaders = raw
	switch typ {
	case tnetstring.TypeString:
		m.Protocol = JSON
		if err := decodeJSONHeaders(raw, m.Headers); err != nil {
			return nil, fmt.Errorf("%w: JSON headers: %w", ErrInvalidRequest, err)
		}
	case tnetstring.TypeDict:
		m.Protocol = TNetstring
		if err := decodeTNetHeaders(hdr[:len(hdr)-len(rest)], m.Headers); err != nil {
			return nil, fmt.Errorf("%w: tnetstring headers: %w", ErrInvalidRequest, err)
		}
	default:
		return nil, fmt.Errorf("%w: headers are neither a JSON netstring nor a tnetstring dict", ErrInvalidRequest)
	}

	typ, body, rest, err := tnetstring.Split(rest)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: body: %w", ErrInvalidRequest, err)
	case typ != tnetstring.TypeString:
		return nil, fmt.Errorf("%w: body is not a netstring", ErrInvalidRequest)
	case len(rest) != 0:
		return nil, fmt.Errorf("%w: %d bytes after the body", ErrInvalidRequest, len(rest))
	}
	m.Body = body
	return m, nil
}

// Header returns the first value of the header key, or "". Client header
// names are lower case, server keys (METHOD, PATH, ...) upper case.
func (m *Message) Header(key string) string {
	if vs := m.Headers[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// IsDisconnect reports whether m is the server's notice that the client
// connection has gone.
func (m *Message) IsDisconnect() bool {
	return m.Header("METHOD") == "JSON" && string(m.Body) == `{"type":"disconnect"}`
}
