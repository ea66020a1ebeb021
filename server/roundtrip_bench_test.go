package server

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/zmq"
)

// BenchmarkHandlerRoundTrip measures one request through the whole path:
// client → parse → route → encode → PUSH → echo handler → SUB → reply
// parse → client, in process, one keep-alive connection, one request at a
// time. The echo handler allocates only libzmq's receive copy, so
// allocs/op is that one plus the server's.
func BenchmarkHandlerRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
	}{
		{"plain", nil},
		{"metrics", map[string]string{"metrics.address": "127.0.0.1:0"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ts := startBenchServer(b, tc.settings)
			c, err := net.Dial("tcp", ts.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := []byte("GET /handler HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
			const resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			buf := make([]byte, len(resp))
			roundTrip := func() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
			// The first replies may be lost until the subscription is up.
			warm := time.Now().Add(5 * time.Second)
			for {
				c.Write(req)
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := io.ReadFull(c, buf); err == nil {
					break
				}
				if time.Now().After(warm) {
					b.Fatal("no reply")
				}
			}
			for range 100 {
				roundTrip()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				roundTrip()
			}
		})
	}
}

// startBenchServer is startTestServer plus an echo handler goroutine that
// answers every request with a fixed response.
func startBenchServer(b *testing.B, settings map[string]string) *testServer {
	ts := startTestServerTB(b, settings)
	ctx, err := zmq.NewContext(1)
	if err != nil {
		b.Fatal(err)
	}
	pull, err := ctx.Connect(zmq.Pull, ts.sendSpec, zmq.Options{RecvTimeout: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	pub, err := ctx.Connect(zmq.Pub, ts.recvSpec, zmq.Options{})
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var out []byte
		ids := []uint64{0}
		body := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		for {
			select {
			case <-stop:
				return
			default:
			}
			msg, err := pull.Recv()
			if err != nil {
				continue
			}
			// "UUID ID PATH ...": take the id without decoding the rest, so
			// that the handler side adds only libzmq's receive copy.
			sp := bytes.IndexByte(msg, ' ')
			end := sp + 1 + bytes.IndexByte(msg[sp+1:], ' ')
			id, err := strconv.ParseUint(string(msg[sp+1:end]), 10, 64)
			if sp < 0 || err != nil {
				continue
			}
			ids[0] = id
			out = m2.AppendReply(out[:0], testIdent, ids, body)
			pub.Send(out)
		}
	}()
	b.Cleanup(func() {
		close(stop)
		<-done
		pull.Close()
		pub.Close()
		ctx.Term()
	})
	return ts
}
