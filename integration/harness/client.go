package harness

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// Transcript is what a client saw on one connection: every byte the server
// sent, and whether the server closed the connection (EOF or reset).
type Transcript struct {
	Data   []byte
	Closed bool
}

// Conn is a raw TCP client connection to the server under test.
type Conn struct {
	t testing.TB
	c net.Conn
}

// Dial connects to addr, failing the test on error; the connection is closed
// when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, c: c}
}

// Write sends each part with its own write call, pausing briefly between
// parts so that they are likely to arrive as separate segments.
func (c *Conn) Write(parts ...string) {
	c.t.Helper()
	for i, p := range parts {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		c.c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c.c, p); err != nil {
			c.t.Fatalf("write: %v", err)
		}
	}
}

// Close closes the client side of the connection.
func (c *Conn) Close() { c.c.Close() }

// Linger is how long Read keeps listening after its stop condition was met,
// to observe whether the server closes the connection (or sends more).
const Linger = 250 * time.Millisecond

// ReadTimeout bounds every Read.
const ReadTimeout = 3 * time.Second

// Until says when a Read has what it came for, given everything read so far.
type Until func(data []byte) bool

// UntilClose reads until the server closes (or ReadTimeout passes).
func UntilClose(data []byte) bool { return false }

// UntilBytes stops once n bytes have arrived.
func UntilBytes(n int) Until { return func(data []byte) bool { return len(data) >= n } }

// UntilResponses stops once n complete HTTP responses with Content-Length
// bodies (or no body) have arrived.
func UntilResponses(n int) Until {
	return func(data []byte) bool { return CountResponses(data) >= n }
}

// Read collects bytes until stop reports true, the server closes, or
// ReadTimeout passes. Once stop is satisfied it listens for Linger more, so
// that a close (or unexpected extra bytes) right after is recorded too.
func (c *Conn) Read(stop Until) Transcript { return c.read(stop, ReadTimeout) }

// Watch reads for d or until the server closes, for where nothing (or only a
// close) is expected.
func (c *Conn) Watch(d time.Duration) Transcript { return c.read(UntilClose, d) }

func (c *Conn) read(stop Until, timeout time.Duration) Transcript {
	var tr Transcript
	deadline := time.Now().Add(timeout)
	lingering := false
	buf := make([]byte, 64*1024)
	for {
		if !lingering && stop(tr.Data) {
			lingering = true
			deadline = time.Now().Add(Linger)
		}
		c.c.SetReadDeadline(deadline)
		n, err := c.c.Read(buf)
		tr.Data = append(tr.Data, buf[:n]...)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return tr
		}
		tr.Closed = true // io.EOF, connection reset, ...
		return tr
	}
}

// CountResponses counts the complete HTTP responses at the start of data,
// using Content-Length to skip bodies. A 1xx response has no body.
func CountResponses(data []byte) int {
	n := 0
	for {
		end := bytes.Index(data, []byte("\r\n\r\n"))
		if end < 0 {
			return n
		}
		head := data[:end]
		data = data[end+4:]
		length := 0
		for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
			name, value, ok := bytes.Cut(line, []byte(":"))
			if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
				length, _ = strconv.Atoi(string(bytes.TrimSpace(value)))
			}
		}
		if len(data) < length {
			return n
		}
		data = data[length:]
		n++
	}
}
