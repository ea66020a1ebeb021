package m2bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errBadResponse is wrapped by every readResponse error about the bytes
// the server sent (as opposed to I/O errors).
var errBadResponse = errors.New("m2bench: malformed response")

// maxHeadBytes bounds a response head, so a server that never ends its
// headers cannot keep the reader busy forever.
const maxHeadBytes = 64 << 10

// response is what the load generator needs to know of an HTTP response.
type response struct {
	status    int
	keepAlive bool // the connection may carry another request
}

// readResponse reads one HTTP/1.x response from br, discarding its body.
// noBody is set for responses to HEAD. A response with neither
// Content-Length nor chunked encoding is read to EOF and ends the
// connection. It allocates nothing: lines are read in place and must fit
// br's buffer.
func readResponse(br *bufio.Reader, noBody bool) (response, error) {
	var r response
	line, err := readLine(br)
	if err != nil {
		return r, err
	}
	// HTTP/1.x SP 3DIGIT [SP reason]
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return r, fmt.Errorf("%w: status line %q", errBadResponse, clip(line))
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return r, fmt.Errorf("%w: status code %q", errBadResponse, line[9:12])
		}
		r.status = r.status*10 + int(c-'0')
	}
	http11 := line[7] == '1'
	r.keepAlive = http11
	contentLength := int64(-1)
	chunked := false
	head := len(line)
	for {
		line, err = readLine(br)
		if err != nil {
			return r, err
		}
		if head += len(line); head > maxHeadBytes {
			return r, fmt.Errorf("%w: head longer than %d bytes", errBadResponse, maxHeadBytes)
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return r, fmt.Errorf("%w: header line %q", errBadResponse, clip(line))
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := parseDecimal(value)
			if !ok || (contentLength >= 0 && n != contentLength) {
				return r, fmt.Errorf("%w: Content-Length %q", errBadResponse, clip(value))
			}
			contentLength = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = hasToken(value, "chunked")
		case bytes.EqualFold(name, []byte("Connection")):
			if hasToken(value, "close") {
				r.keepAlive = false
			} else if !http11 && hasToken(value, "keep-alive") {
				r.keepAlive = true
			}
		}
	}
	switch {
	case noBody || r.status/100 == 1 || r.status == 204 || r.status == 304:
		return r, nil
	case chunked:
		return r, discardChunked(br)
	case contentLength >= 0:
		if _, err := br.Discard(int(contentLength)); err != nil {
			return r, fmt.Errorf("m2bench: response body: %w", err)
		}
		return r, nil
	}
	// The body runs to the end of the connection.
	r.keepAlive = false
	for {
		if _, err := br.Discard(br.Buffered() + 1); err != nil {
			if errors.Is(err, io.EOF) {
				return r, nil
			}
			return r, fmt.Errorf("m2bench: response body: %w", err)
		}
	}
}

// discardChunked reads a chunked body and its trailers.
func discardChunked(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			return fmt.Errorf("%w: chunk size %q", errBadResponse, clip(line))
		}
		if size == 0 {
			break
		}
		if _, err := br.Discard(int(size)); err != nil {
			return fmt.Errorf("m2bench: chunk: %w", err)
		}
		if line, err = readLine(br); err != nil {
			return err
		}
		if len(line) != 0 {
			return fmt.Errorf("%w: no CRLF after chunk", errBadResponse)
		}
	}
	for n := 0; ; n++ { // trailers
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if n > 100 {
			return fmt.Errorf("%w: too many trailers", errBadResponse)
		}
	}
}

// readLine returns the next line without its LF or CRLF. The slice is
// valid until the next read from br.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errBadResponse, br.Size())
		}
		return nil, fmt.Errorf("m2bench: read response: %w", err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// parseDecimal parses a non-negative decimal below 2^62.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseHex parses a chunk size of at most 15 hex digits.
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// hasToken reports whether the comma-separated list v holds tok, ignoring
// case and spaces.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		item := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if bytes.EqualFold(bytes.TrimSpace(item), []byte(tok)) {
			return true
		}
	}
	return false
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
