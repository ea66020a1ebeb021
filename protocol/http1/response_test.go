package http1

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Captured responses: Python's http.server and Go's net/http.
const (
	capPython200 = "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Fri, 27 Nov 2026 17:03:20 GMT\r\nContent-type: text/plain\r\nContent-Length: 6\r\nLast-Modified: Fri, 27 Nov 2026 17:03:16 GMT\r\n\r\nhello\n"
	capPython404 = "HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\nDate: Fri, 27 Nov 2026 17:03:20 GMT\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: 335\r\n\r\n"
	capGoChunked = "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nDate: Fri, 27 Nov 2026 17:03:26 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"
	capGo400     = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
)

// whole in respWant.n stands for the bytes through the first blank line.
const whole = -1

type respWant struct {
	n       int // bytes of the head; 0 with err nil: need more
	err     error
	status  int
	reason  string
	framing Framing
	length  int64
	close   bool
	upgrade bool
	headers int
}

var responseCases = []struct {
	name   string
	in     string
	method string
	want   respWant
}{
	{"python 200", capPython200, "GET", respWant{n: len(capPython200) - 6, status: 200, reason: "OK", framing: FrameLength, length: 6, close: true, headers: 5}},
	{"python 404", capPython404, "GET", respWant{n: len(capPython404), status: 404, reason: "File not found", framing: FrameLength, length: 335, close: true, headers: 5}},
	{"go chunked", capGoChunked, "GET", respWant{n: strings.Index(capGoChunked, "\r\n\r\n") + 4, status: 200, reason: "OK", framing: FrameChunked, length: -1, close: true, headers: 5}},
	{"go 400 no length", capGo400, "GET", respWant{n: len(capGo400) - 15, status: 400, reason: "Bad Request", framing: FrameClose, length: -1, close: true, headers: 2}},
	{"keep-alive 1.1", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", respWant{n: 38, status: 200, reason: "OK", framing: FrameLength, length: 0, headers: 1}},
	{"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi", "GET", respWant{n: whole, status: 200, reason: "OK", framing: FrameLength, length: 2, headers: 2}},
	{"close among options", "HTTP/1.1 200 OK\r\nConnection: TE, Close\r\nContent-Length: 2\r\n\r\n", "GET", respWant{n: 61, status: 200, reason: "OK", framing: FrameLength, length: 2, close: true, headers: 2}},
	{"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD", respWant{n: 39, status: 200, reason: "OK", framing: FrameNone, length: 10, headers: 1}},
	{"204", "HTTP/1.1 204 No Content\r\n\r\n", "GET", respWant{n: 27, status: 204, reason: "No Content", framing: FrameNone, length: -1}},
	{"304 with length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", "GET", respWant{n: 48, status: 304, reason: "Not Modified", framing: FrameNone, length: 7, headers: 1}},
	{"100 continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", "POST", respWant{n: 25, status: 100, reason: "Continue", framing: FrameNone, length: -1}},
	{"101 upgrade", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x00", "GET", respWant{n: whole, status: 101, reason: "Switching Protocols", framing: FrameNone, length: -1, upgrade: true, headers: 2}},
	{"101 without upgrade option", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "GET", respWant{n: 36, status: 101, reason: "Switching Protocols", framing: FrameNone, length: -1}},
	{"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "GET", respWant{n: 35, status: 200, framing: FrameLength, length: 0, headers: 1}},
	{"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", "GET", respWant{n: 36, status: 200, framing: FrameLength, length: 0, headers: 1}},
	{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", "GET", respWant{n: 35, status: 200, reason: "OK", framing: FrameLength, length: 1, headers: 1}},
	{"te and cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", respWant{n: 66, status: 200, reason: "OK", framing: FrameChunked, length: -1, close: true, headers: 2}},
	{"te gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", respWant{n: whole, status: 200, reason: "OK", framing: FrameClose, length: -1, close: true, headers: 1}},
	{"te chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "GET", respWant{n: 56, status: 200, reason: "OK", framing: FrameClose, length: -1, close: true, headers: 1}},
	{"te gzip then chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n", "GET", respWant{n: whole, status: 200, reason: "OK", framing: FrameChunked, length: -1, headers: 2}},
	{"same lengths twice", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3 \r\n\r\n", "GET", respWant{n: whole, status: 200, reason: "OK", framing: FrameLength, length: 3, headers: 2}},

	{"need more: empty", "", "GET", respWant{}},
	{"need more: status line", "HTTP/1.1 20", "GET", respWant{}},
	{"need more: headers", "HTTP/1.1 200 OK\r\nContent-Len", "GET", respWant{}},
	{"need more: CR", "HTTP/1.1 200 OK\r\n\r", "GET", respWant{}},

	{"HTTP/2", "HTTP/2 200 OK\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"lower-case http", "http/1.1 200 OK\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"status 099", "HTTP/1.1 099 X\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"NUL in reason", "HTTP/1.1 200 O\x00K\r\n\r\n", "GET", respWant{err: ErrStatusLine}},
	{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", "GET", respWant{err: ErrResponseHeader}},
	{"folding", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "GET", respWant{err: ErrResponseHeader}},
	{"stray CR in value", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "GET", respWant{err: ErrResponseHeader}},
	{"lone CR blank line", "HTTP/1.1 200 OK\r\n\rX", "GET", respWant{err: ErrResponseHeader}},
	{"length not a number", "HTTP/1.1 200 OK\r\nContent-Length: 5abc\r\n\r\n", "GET", respWant{err: ErrResponseLength}},
	{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "GET", respWant{err: ErrResponseLength}},
	{"lengths disagree", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "GET", respWant{err: ErrResponseLength}},
	{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n", "GET", respWant{err: ErrResponseLength}},
}

func TestResponseParse(t *testing.T) {
	var r Response
	for _, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := r.Parse([]byte(tc.in), []byte(tc.method))
			w := tc.want
			if w.n == whole {
				w.n = headEnd(tc.in)
			}
			if n != w.n || !errors.Is(err, w.err) || (err == nil) != (w.err == nil) {
				t.Fatalf("Parse = %d, %v; want %d, %v", n, err, w.n, w.err)
			}
			if err != nil {
				if !errors.Is(err, ErrBadResponse) {
					t.Errorf("%v does not match ErrBadResponse", err)
				}
				return
			}
			if n == 0 {
				return
			}
			got := respWant{n: n, status: r.Status, reason: string(r.Reason), framing: r.Framing, length: r.ContentLength, close: r.Close, upgrade: r.Upgrade, headers: len(r.Headers)}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			if string(r.Version) != tc.in[:8] {
				t.Errorf("Version = %q", r.Version)
			}
		})
	}
}

// TestResponsePrefixes checks that every proper prefix of a complete head
// asks for more bytes.
func TestResponsePrefixes(t *testing.T) {
	var r Response
	for _, tc := range responseCases {
		n := tc.want.n
		if n == whole {
			n = headEnd(tc.in)
		}
		for k := range n {
			if n, err := r.Parse([]byte(tc.in[:k]), []byte(tc.method)); n != 0 || err != nil {
				t.Errorf("%s: prefix %d: Parse = %d, %v", tc.name, k, n, err)
			}
		}
	}
}

func TestResponseHeaders(t *testing.T) {
	var r Response
	if _, err := r.Parse([]byte(capPython200), []byte("GET")); err != nil {
		t.Fatal(err)
	}
	v, ok := r.Get("content-type")
	if !ok || string(v) != "text/plain" {
		t.Errorf(`Get("content-type") = %q, %v`, v, ok)
	}
	if _, ok := r.Get("connection"); ok {
		t.Errorf("Get found an absent header")
	}
	if r.Interim() {
		t.Errorf("200 is interim")
	}
	if _, err := r.Parse([]byte("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"), []byte("GET")); err != nil || !r.Interim() {
		t.Errorf("103: %v, interim %v", err, r.Interim())
	}
}

func TestResponseParseAllocs(t *testing.T) {
	var r Response
	in := []byte(capPython200)
	method := []byte("GET")
	r.Parse(in, method)
	if a := testing.AllocsPerRun(100, func() { r.Parse(in, method) }); a != 0 {
		t.Errorf("Parse allocates %v times", a)
	}
}

// headEnd returns the length of in through its first empty line.
func headEnd(in string) int {
	if k := strings.Index(in, "\r\n\r\n"); k >= 0 {
		return k + 4
	}
	return strings.Index(in, "\n\n") + 2
}

func BenchmarkResponseParse(b *testing.B) {
	in := []byte(capGoChunked)
	method := []byte("GET")
	var r Response
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := r.Parse(in, method); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}
