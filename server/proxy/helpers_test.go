package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/internal/testutil"
	"github.com/bareku/bareku/protocol/http1"
)

// canned502 is Mongrel2's response when the backend is down (spec §3.5).
const canned502 = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 11\r\nServer: Mongrel2/1.12.2\r\n\r\nBad Gateway"

// frontConn is a client connection of the test front end. It works the
// way the server's connection does: one buffer, heads parsed in place,
// body bytes handed out through Next and Consume.
type frontConn struct {
	nc      net.Conn
	buf     []byte
	r, w    int
	tunnels *atomic.Int32 // Tunnel calls
}

func (f *frontConn) Tunnel() { f.tunnels.Add(1) }

func (f *frontConn) Next() ([]byte, error) {
	if f.r == f.w {
		f.r, f.w = 0, 0
		f.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := f.nc.Read(f.buf)
		f.w = n
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return nil, err
		}
	}
	return f.buf[f.r:f.w], nil
}

func (f *frontConn) Consume(n int) { f.r += n }

func (f *frontConn) Write(p []byte) (int, error) {
	f.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return f.nc.Write(p)
}

func (f *frontConn) CloseWrite() error { return f.nc.(*net.TCPConn).CloseWrite() }

// front is a loopback listener that parses requests one at a time and
// hands each to a Proxy, as the server's connection loop does. Serve
// outcomes are sent on done while it has room.
type front struct {
	addr    string
	done    chan served
	tunnels atomic.Int32
}

type served struct {
	res Result
	err error
}

func startFront(t *testing.T, p *Proxy) *front {
	t.Helper()
	fr := &front{done: make(chan served, 100)}
	fr.addr = testutil.ServeTCP(t, func(nc net.Conn) {
		fr.serve(&frontConn{nc: nc, buf: make([]byte, 4096), tunnels: &fr.tunnels}, p)
	})
	return fr
}

func (fr *front) serve(c *frontConn, p *Proxy) {
	var req http1.Request
	for {
		n, err := req.Parse(c.buf[c.r:c.w], http1.Options{})
		if err != nil {
			return
		}
		if n == 0 {
			if c.r > 0 {
				c.w = copy(c.buf, c.buf[c.r:c.w])
				c.r = 0
			}
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, err := c.nc.Read(c.buf[c.w:])
			c.w += m
			if m == 0 && err != nil {
				return
			}
			continue
		}
		head := c.buf[c.r : c.r+n]
		c.r += n
		res, err := p.Serve(c, &req, head)
		if errors.Is(err, ErrBackendDown) && res.Written == 0 {
			c.Write([]byte(canned502))
		}
		select {
		case fr.done <- served{res, err}:
		default: // tests that make many requests do not look
		}
		if errors.Is(err, ErrBackendDown) {
			return
		}
		if err != nil || res.Close {
			return
		}
	}
}

// last waits for the outcome of the next request served.
func (fr *front) last() (Result, error) {
	select {
	case s := <-fr.done:
		return s.res, s.err
	case <-time.After(5 * time.Second):
		return Result{}, errors.New("no request served")
	}
}

// backend is a raw HTTP/1.1 backend that records every request it gets,
// byte for byte, and answers with what respond returns.
type backend struct {
	addr    string
	port    int
	accepts atomic.Int32
	mu      sync.Mutex
	got     []string
	// respond returns the response for a request path, whether to close
	// after it, and whether to close without answering at all.
	respond func(path string, nth int) (resp string, closeAfter, hangUp bool)
}

func startBackend(t *testing.T, respond func(path string, nth int) (string, bool, bool)) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port, respond: respond}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			b.accepts.Add(1)
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				b.serve(nc)
			}()
		}
	}()
	return b
}

func (b *backend) serve(nc net.Conn) {
	buf := make([]byte, 0, 1<<16)
	tmp := make([]byte, 1<<16)
	var req http1.Request
	fill := func() bool {
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := nc.Read(tmp)
		buf = append(buf, tmp[:m]...)
		return m > 0 || err == nil
	}
	for nth := 1; ; nth++ {
		var n int
		for {
			var err error
			if n, err = req.Parse(buf, http1.Options{MaxHeadBytes: 1 << 16}); err != nil {
				return
			}
			if n > 0 {
				break
			}
			if !fill() {
				return
			}
		}
		end := n
		switch req.Body {
		case http1.BodyLength:
			end += int(req.ContentLength)
			for len(buf) < end {
				if !fill() {
					return
				}
			}
		case http1.BodyChunked:
			var s http1.ChunkedScanner
			for {
				k, err := s.Scan(buf[end:])
				if err != nil {
					return
				}
				end += k
				if s.Done() {
					break
				}
				if !fill() {
					return
				}
			}
		}
		path := string(req.Path)
		b.mu.Lock()
		b.got = append(b.got, string(buf[:end]))
		b.mu.Unlock()
		buf = append(buf[:0], buf[end:]...)
		resp, closeAfter, hangUp := b.respond(path, nth)
		if hangUp {
			return
		}
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(nc, resp); err != nil || closeAfter {
			return
		}
	}
}

func (b *backend) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

func (b *backend) proxy(opt Options) *Proxy {
	return New(&config.Proxy{Addr: "127.0.0.1", Port: b.port}, opt)
}

// exchangeRaw sends in on a new connection to addr and reads the answer:
// exactly want bytes when want > 0, then whether the connection was closed
// (EOF within a short wait); with want 0 everything until EOF.
func exchangeRaw(t *testing.T, addr, in string, want int) (out string, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, in); err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, c, want)
}

func readAnswer(t *testing.T, c net.Conn, want int) (string, bool) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if want <= 0 {
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("reading the answer: %v (got %q)", err, b)
		}
		return string(b), true
	}
	b := make([]byte, want)
	n, err := io.ReadFull(c, b)
	if err != nil {
		return string(b[:n]), true
	}
	c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	var one [1]byte
	m, err := c.Read(one[:])
	if m > 0 {
		return string(b) + string(one[:m]), false
	}
	return string(b), err == io.EOF || errors.Is(err, net.ErrClosed)
}

// resp builds a response with a Content-Length.
func resp(status, body string, extra ...string) string {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + status + "\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	return b.String()
}

func proxyRow(port int) *config.Proxy { return &config.Proxy{Addr: "127.0.0.1", Port: port} }
