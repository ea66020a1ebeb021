package proxy

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/bareku/bareku/protocol/http1"
)

// memClient is a Client with no body to give and a sink for the response.
type memClient struct{ n int64 }

func (m *memClient) Write(p []byte) (int, error) { m.n += int64(len(p)); return len(p), nil }
func (m *memClient) Next() ([]byte, error)       { return nil, io.EOF }
func (m *memClient) Consume(int)                 {}

// startFixedBackend answers every GET head with resp; it allocates nothing
// per request, so the benchmark measures the proxy.
func startFixedBackend(b *testing.B, resp []byte) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				buf := make([]byte, 4096)
				w := 0
				for {
					n, err := nc.Read(buf[w:])
					if err != nil {
						return
					}
					w += n
					for {
						k := bytes.Index(buf[:w], []byte("\r\n\r\n"))
						if k < 0 {
							break
						}
						w = copy(buf, buf[k+4:w])
						if _, err := nc.Write(resp); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// BenchmarkServe forwards a GET on a pooled connection and relays the
// response, for small and chunked responses.
func BenchmarkServe(b *testing.B) {
	for _, bc := range []struct {
		name string
		resp string
	}{
		{"length", resp("200 OK", "hello world", "Content-Type: text/plain")},
		{"chunked", chunkedResp},
	} {
		b.Run(bc.name, func(b *testing.B) {
			port := startFixedBackend(b, []byte(bc.resp))
			p := New(proxyRow(port), Options{})
			defer p.Close()
			head := []byte("GET /bench HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n")
			var req http1.Request
			if _, err := req.Parse(head, http1.Options{}); err != nil {
				b.Fatal(err)
			}
			c := &memClient{}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Serve(c, &req, head); err != nil {
					b.Fatal(err)
				}
			}
			if c.n != int64(len(bc.resp))*int64(b.N) {
				b.Fatalf("relayed %d bytes for %d requests", c.n, b.N)
			}
		})
	}
}
