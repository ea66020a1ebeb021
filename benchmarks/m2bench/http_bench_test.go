package m2bench

import (
	"bufio"
	"bytes"
	"net"
	"testing"
	"time"
)

// BenchmarkHTTPRoundTrip measures one keep-alive round trip of the load
// generator against a server that answers every request head with a
// canned response; the client side must not allocate.
func BenchmarkHTTPRoundTrip(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nhi\n")
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if bytes.Equal(line, []byte("\r\n")) {
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		}
	}()
	t, err := newHTTPTarget(HTTPOptions{URL: "http://" + ln.Addr().String() + "/", Workload: Workload{Timeout: 5 * time.Second}})
	if err != nil {
		b.Fatal(err)
	}
	c := &httpConn{t: t}
	defer c.close()
	if err := c.prepare(); err != nil {
		b.Fatal(err)
	}
	var h Histogram
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if status, err := c.roundTrip(); err != nil || status != 200 {
			b.Fatal(status, err)
		}
		h.Record(time.Since(start))
	}
}
