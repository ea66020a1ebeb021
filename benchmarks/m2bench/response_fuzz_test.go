package m2bench

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadResponse feeds arbitrary server bytes to the response reader: it
// must return, never panic, and never read past what it was given.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n\r\nHello from Bareku, you asked for /x\r\n",
		// Mongrel2's canned 404 (spec §3.5).
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 9\r\nServer: Mongrel2/1.12.2\r\n\r\nNot Found",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nbody",
		"HTTP/1.1 204\r\n\r\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, noBody bool) {
		r := bytes.NewReader(data)
		br := bufio.NewReaderSize(r, 256)
		resp, err := readResponse(br, noBody)
		if err == nil && (resp.status < 0 || resp.status > 999) {
			t.Fatalf("status %d out of range", resp.status)
		}
	})
}
