package http1

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrBadResponse is matched (with errors.Is) by every error
// Response.Parse returns: the bytes can never become a valid response head.
var ErrBadResponse = errors.New("http1: bad response")

// The specific response errors all wrap ErrBadResponse.
var (
	// ErrStatusLine means the status line is not "HTTP/1.0" or "HTTP/1.1",
	// one space, three digits, then an optional space and reason phrase.
	ErrStatusLine = fmt.Errorf("http1: invalid status line: %w", ErrBadResponse)
	// ErrResponseHeader means a response header line is not a token, a
	// colon and a value without NUL, DEL or a stray CR.
	ErrResponseHeader = fmt.Errorf("http1: invalid response header: %w", ErrBadResponse)
	// ErrResponseLength means Content-Length is not a decimal number, or
	// several Content-Length values disagree.
	ErrResponseLength = fmt.Errorf("http1: invalid response content-length: %w", ErrBadResponse)
)

// Framing says how the body after a response head ends.
type Framing uint8

const (
	// FrameNone means no body follows: a response to HEAD, 1xx, 204 or 304.
	FrameNone Framing = iota
	// FrameLength means exactly Response.ContentLength bytes follow
	// (possibly zero).
	FrameLength
	// FrameChunked means a chunked body follows; ChunkedScanner finds its
	// end.
	FrameChunked
	// FrameClose means the body is everything until the sender closes the
	// connection.
	FrameClose
)

// String returns "none", "length", "chunked" or "close".
func (f Framing) String() string {
	switch f {
	case FrameNone:
		return "none"
	case FrameLength:
		return "length"
	case FrameChunked:
		return "chunked"
	case FrameClose:
		return "close"
	}
	return "Framing(?)"
}

// Response is the result of parsing one response head, as a proxy reads it
// from a backend. Version, Reason and the header values point into the
// buffer given to Parse; header names are lower-cased into the Response's
// own scratch space. A Response is meant to be reused: its scratch space is
// kept across Parse calls, so parsing allocates nothing in steady state.
type Response struct {
	// Version is "HTTP/1.0" or "HTTP/1.1".
	Version []byte
	// Status is the three-digit status code.
	Status int
	// Reason is the reason phrase, possibly empty.
	Reason []byte
	// Headers are the header lines in arrival order, all of them.
	Headers []Header

	// ContentLength is the Content-Length value, or -1 when there is none
	// or the body is chunked. It is what Mongrel2's access log reports for
	// a proxied response, whatever the framing.
	ContentLength int64
	// Framing is how the body ends, decided by RFC 9112 §6.3 from the
	// request method, the status and the headers.
	Framing Framing
	// Close is true when the connection cannot carry another response
	// after this one: "close" among the Connection options, HTTP/1.0
	// without "keep-alive", a body that runs until close, or
	// Transfer-Encoding together with Content-Length.
	Close bool
	// Upgrade is true for a 101 whose Connection options include
	// "upgrade": after the head the connection carries another protocol.
	Upgrade bool

	names []byte
}

// Interim reports whether the response is a 1xx other than 101: another
// response head follows it on the same connection.
func (r *Response) Interim() bool { return r.Status >= 100 && r.Status < 200 && r.Status != 101 }

// Get returns the first value of the header with the given lower-case name,
// and whether there is one.
func (r *Response) Get(name string) ([]byte, bool) {
	for _, h := range r.Headers {
		if string(h.Name) == name {
			return h.Value, true
		}
	}
	return nil, false
}

// Parse parses one response head from the start of buf. requestMethod is
// the method of the request it answers (a response to HEAD has no body).
// It returns n > 0, the bytes through the blank line, when the head is
// complete; n == 0 and a nil error when more bytes are needed; and an error
// matching ErrBadResponse when the bytes can never be a valid head. Parse
// does not modify buf and sets no limit on the head's length: the caller
// bounds it by the size of its buffer.
//
// Lines may end in CR LF or a bare LF; obsolete line folding, header names
// that are not tokens and values with NUL, DEL or a CR that does not end the
// line are errors, so a head that could be read two ways never passes.
func (r *Response) Parse(buf []byte, requestMethod []byte) (n int, err error) {
	r.reset()
	n, err = r.parse(buf, requestMethod)
	if err == errNeedMore {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (r *Response) reset() {
	*r = Response{Headers: r.Headers[:0], names: r.names[:0], ContentLength: -1}
}

func (r *Response) parse(b []byte, method []byte) (int, error) {
	// "HTTP/1.x" SP
	const v = "HTTP/1.x "
	for k := range len(v) {
		if k == len(b) {
			return 0, errNeedMore
		}
		c := b[k]
		if k == len(v)-2 && c != '0' && c != '1' || k != len(v)-2 && c != v[k] {
			return 0, ErrStatusLine
		}
	}
	r.Version = b[:len(v)-1]
	i := len(v)

	// 3DIGIT
	for k := range 3 {
		if i+k == len(b) {
			return 0, errNeedMore
		}
		c := b[i+k]
		if !isDigit(c) || k == 0 && c == '0' {
			return 0, ErrStatusLine
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	i += 3

	// [SP reason-phrase] EOL
	if i == len(b) {
		return 0, errNeedMore
	}
	if b[i] == ' ' {
		i++
		start := i
		lf := bytes.IndexByte(b[i:], '\n')
		if lf < 0 {
			if !validValue(b[start:], true) {
				return 0, ErrStatusLine
			}
			return 0, errNeedMore
		}
		end := i + lf
		i = end + 1
		if end > start && b[end-1] == '\r' {
			end--
		}
		r.Reason = b[start:end:end]
		if !validValue(r.Reason, false) {
			return 0, ErrStatusLine
		}
	} else {
		var err error
		if i, err = endOfLine(b, i, ErrStatusLine); err != nil {
			return 0, err
		}
	}

	var f respFraming
	for {
		if i == len(b) {
			return 0, errNeedMore
		}
		if c := b[i]; c == '\r' || c == '\n' {
			end, err := endOfLine(b, i, ErrResponseHeader)
			if err != nil {
				return 0, err
			}
			return end, r.finish(&f, method)
		}
		var err error
		if i, err = r.parseHeader(b, i, &f); err != nil {
			return 0, err
		}
	}
}

// respFraming collects what the header lines say about framing and
// persistence.
type respFraming struct {
	clSeen    bool
	te        teState
	close     bool // "close" among the connection options
	keepAlive bool // "keep-alive" among the connection options
	upgrade   bool // "upgrade" among the connection options
}

// parseHeader parses the header line at b[i] and returns the index of the
// next line.
func (r *Response) parseHeader(b []byte, i int, f *respFraming) (int, error) {
	start := i
	for ; i < len(b) && b[i] != ':'; i++ {
		if !isToken(b[i]) {
			return 0, ErrResponseHeader
		}
	}
	if i == len(b) {
		return 0, errNeedMore
	}
	if i == start {
		return 0, ErrResponseHeader
	}
	nameStart := len(r.names)
	for _, c := range b[start:i] {
		r.names = append(r.names, lower(c))
	}
	name := r.names[nameStart:len(r.names):len(r.names)]

	i++ // ':'
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	valueStart := i
	lf := bytes.IndexByte(b[i:], '\n')
	if lf < 0 {
		if !validValue(b[valueStart:], true) {
			return 0, ErrResponseHeader
		}
		return 0, errNeedMore
	}
	valueEnd := i + lf
	next := valueEnd + 1
	if valueEnd > valueStart && b[valueEnd-1] == '\r' {
		valueEnd--
	}
	value := b[valueStart:valueEnd:valueEnd]
	if !validValue(value, false) {
		return 0, ErrResponseHeader
	}
	r.Headers = append(r.Headers, Header{Name: name, Value: value})

	switch string(name) {
	case "content-length":
		n, ok := parseResponseLength(trimOWS(value))
		if !ok || f.clSeen && n != r.ContentLength {
			return 0, ErrResponseLength
		}
		f.clSeen = true
		r.ContentLength = n
	case "transfer-encoding":
		f.te.add(value)
	case "connection":
		f.connection(value)
	}
	return next, nil
}

// connection takes in the options of one Connection value.
func (f *respFraming) connection(v []byte) {
	for len(v) > 0 {
		var opt []byte
		if k := bytes.IndexByte(v, ','); k >= 0 {
			opt, v = v[:k], v[k+1:]
		} else {
			opt, v = v, nil
		}
		opt = trimOWS(opt)
		switch {
		case equalFold(opt, "close"):
			f.close = true
		case equalFold(opt, "keep-alive"):
			f.keepAlive = true
		case equalFold(opt, "upgrade"):
			f.upgrade = true
		}
	}
}

// finish decides framing and persistence (RFC 9112 §6.3 and §9.3).
func (r *Response) finish(f *respFraming, method []byte) error {
	http10 := r.Version[len(r.Version)-1] == '0'
	r.Close = f.close || http10 && !f.keepAlive
	switch {
	case string(method) == "HEAD" || r.Status < 200 || r.Status == 204 || r.Status == 304:
		r.Framing = FrameNone
		if r.Status == 101 && f.upgrade {
			r.Upgrade = true
		}
	case f.te.seen && f.te.chunked && !f.te.bad:
		r.Framing = FrameChunked
		r.ContentLength = -1
		if f.clSeen { // a message that could be read two ways: do not reuse
			r.Close = true
		}
	case f.te.seen:
		r.Framing = FrameClose
		r.ContentLength = -1
		r.Close = true
	case f.clSeen:
		r.Framing = FrameLength
	default:
		r.Framing = FrameClose
		r.Close = true
	}
	return nil
}

// parseResponseLength reads a Content-Length value strictly: decimal digits
// only, at most 18 of them so the value fits an int64.
func parseResponseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
