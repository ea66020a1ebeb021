package m2bench

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		noBody    bool
		status    int
		keepAlive bool
		bad       bool   // errBadResponse expected
		ioErr     bool   // another error expected
		rest      string // what must remain unread
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "mongrel2 hello", in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\nhi\n", status: 200, keepAlive: true},
		{name: "no reason phrase", in: "HTTP/1.1 204\r\n\r\nNEXT", status: 204, keepAlive: true, rest: "NEXT"},
		{name: "bare LF", in: "HTTP/1.1 200 OK\ncontent-length: 2\n\nokNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "connection close", in: "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 404},
		{name: "connection token list", in: "HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n", status: 200},
		{name: "http/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", status: 200, keepAlive: true},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT", status: 200, keepAlive: true, rest: "NEXT"},
		{name: "chunked wins over length", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 200, keepAlive: true},
		{name: "body to EOF", in: "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("y", 100000), status: 200},
		{name: "HEAD has no body", in: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nNEXT", noBody: true, status: 200, keepAlive: true, rest: "NEXT"},
		{name: "304 has no body", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\nNEXT", status: 304, keepAlive: true, rest: "NEXT"},
		{name: "100 continue", in: "HTTP/1.1 100 Continue\r\n\r\nNEXT", status: 100, keepAlive: true, rest: "NEXT"},
		{name: "empty", in: "", ioErr: true},
		{name: "truncated head", in: "HTTP/1.1 200 OK\r\nContent-Le", ioErr: true},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", ioErr: true},
		{name: "not http", in: "SSH-2.0-OpenSSH\r\n\r\n", bad: true},
		{name: "http/2 status", in: "HTTP/2.0 200 OK\r\n\r\n", bad: true},
		{name: "letters in status", in: "HTTP/1.1 2x0 OK\r\n\r\n", bad: true},
		{name: "long status code", in: "HTTP/1.1 2000 OK\r\n\r\n", bad: true},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nbogus\r\n\r\n", bad: true},
		{name: "negative length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", bad: true},
		{name: "conflicting lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", bad: true},
		{name: "repeated equal lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", status: 200, keepAlive: true},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", bad: true},
		{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n", bad: true},
		{name: "line longer than buffer", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", bad: true},
		{name: "head too long", in: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 4096)
			r, err := readResponse(br, tt.noBody)
			switch {
			case tt.bad:
				if !errors.Is(err, errBadResponse) {
					t.Fatalf("err = %v, want a malformed-response error", err)
				}
				return
			case tt.ioErr:
				if err == nil || errors.Is(err, errBadResponse) {
					t.Fatalf("err = %v, want an I/O error", err)
				}
				return
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if r.status != tt.status || r.keepAlive != tt.keepAlive {
				t.Errorf("got status %d keepAlive %v, want %d %v", r.status, r.keepAlive, tt.status, tt.keepAlive)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tt.rest {
				t.Errorf("left %q unread, want %q", rest, tt.rest)
			}
		})
	}
}

// BenchmarkReadResponse reads keep-alive responses back to back, as a
// connection does.
func BenchmarkReadResponse(b *testing.B) {
	const one = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n\r\nHello from Bareku, you asked for /x\r\n"
	stream := strings.Repeat(one, 1000)
	sr := strings.NewReader(stream)
	br := bufio.NewReaderSize(sr, 16<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(one)))
	for i := range b.N {
		if i%1000 == 0 {
			sr.Reset(stream)
			br.Reset(sr)
		}
		if _, err := readResponse(br, false); err != nil {
			b.Fatal(err)
		}
	}
}
