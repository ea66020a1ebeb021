package m2bench

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadResponse feeds arbitrary server bytes to the response reader. It
// must not panic, and a keep-alive response it accepts must end exactly
// where it says: followed by a second response, it reads the same and then
// the second one.
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
		if err != nil {
			return
		}
		if resp.status < 0 || resp.status > 999 {
			t.Fatalf("status %d out of range", resp.status)
		}
		if !resp.keepAlive || r.Len() != 0 || br.Buffered() != 0 {
			return
		}
		const next = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
		br = bufio.NewReaderSize(bytes.NewReader(append(bytes.Clone(data), next...)), 256)
		again, err := readResponse(br, noBody)
		if err != nil || again != resp {
			t.Fatalf("with a response after it: %+v, %v; alone: %+v", again, err, resp)
		}
		if second, err := readResponse(br, false); err != nil || second.status != 201 {
			t.Fatalf("second response: %+v, %v", second, err)
		}
	})
}
