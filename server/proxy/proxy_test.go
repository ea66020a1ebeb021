package proxy

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
)

const chunkedResp = "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"

// relayResponses maps a backend path to its response and whether the
// backend closes after it.
var relayResponses = map[string]struct {
	resp  string
	close bool
}{
	"/len":           {resp("200 OK", "hello", "Content-Type: text/plain"), false},
	"/empty":         {resp("200 OK", ""), false},
	"/chunked":       {chunkedResp, false},
	"/chunked-plain": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", false},
	"/until-eof":     {"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true},
	"/close":         {resp("200 OK", "bye", "Connection: close"), true},
	"/204":           {"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n", false},
	"/304":           {"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false},
	"/head":          {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", false},
	"/continue":      {"HTTP/1.1 100 Continue\r\n\r\n" + resp("201 Created", "made"), false},
	"/odd":           {"HTTP/1.1 200 OK\nserver:  raw  \ncontent-length: 2\n\nok", false},
	"/bad":           {"HTTP/1.1 2xx Nope\r\n\r\n", true},
	"/short":         {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true},
	"/badchunked":    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true},
	"/post":          {resp("200 OK", "got it"), false},
	"/proxy/a":       {resp("200 OK", "A"), false},
}

func relayBackend(t *testing.T) *backend {
	return startBackend(t, func(path string, _ int) (string, bool, bool) {
		r, ok := relayResponses[path]
		if !ok {
			return resp("404 Not Found", "no"), false, false
		}
		return r.resp, r.close, false
	})
}

func TestRelay(t *testing.T) {
	b := relayBackend(t)
	p := b.proxy(Options{})
	defer p.Close()
	fr := startFront(t, p)

	cases := []struct {
		name    string
		req     string
		path    string // response table key; the request must reach the backend verbatim
		want    string // "" means the table's response
		nothing bool   // the client gets no bytes
		closed  bool
		status  int
		size    int64
		err     bool
	}{
		{name: "content-length", req: "GET /len HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", path: "/len", status: 200, size: 5},
		{name: "empty body", req: "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n", path: "/empty", status: 200, size: 0},
		{name: "chunked response", req: "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", path: "/chunked", status: 200, size: -1},
		{name: "until eof", req: "GET /until-eof HTTP/1.1\r\nHost: x\r\n\r\n", path: "/until-eof", closed: true, status: 200, size: -1},
		{name: "connection close", req: "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", path: "/close", closed: true, status: 200, size: 3},
		{name: "204 head only", req: "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n", path: "/204", status: 204, size: -1},
		{name: "304 head only", req: "GET /304 HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\"\r\n\r\n", path: "/304", status: 304, size: -1},
		{name: "HEAD head only", req: "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n", path: "/head", status: 200, size: 1000},
		{name: "interim 100 relayed", req: "POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", path: "/continue", status: 201, size: 4},
		{name: "response kept verbatim", req: "GET /odd HTTP/1.1\r\nHost: x\r\n\r\n", path: "/odd", status: 200, size: 2},
		{name: "post with length", req: "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello=world", path: "/post", status: 200, size: 6},
		{name: "post chunked", req: "POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", path: "/post", status: 200, size: 6},
		{name: "expect continue", req: "POST /post HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", path: "/post", status: 200, size: 6},
		{name: "prefix and query kept", req: "GET /proxy/a?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", path: "/proxy/a", status: 200, size: 1},
		{name: "http/1.0 client", req: "GET /len HTTP/1.0\r\n\r\n", path: "/len", status: 200, size: 5},
		{name: "bad response head", req: "GET /bad HTTP/1.1\r\nHost: x\r\n\r\n", nothing: true, closed: true, size: -1, err: true},
		{name: "body cut short", req: "GET /short HTTP/1.1\r\nHost: x\r\n\r\n", path: "/short", closed: true, status: 200, size: 10, err: true},
		{name: "bad chunked body", req: "GET /badchunked HTTP/1.1\r\nHost: x\r\n\r\n", path: "/badchunked", nothing: true, closed: true, status: 200, size: -1, err: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(b.requests())
			want := tc.want
			if want == "" && !tc.nothing {
				want = relayResponses[tc.path].resp
			}
			n := len(want)
			if tc.closed {
				n = 0
			}
			got, closed := exchangeRaw(t, fr.addr, tc.req, n)
			if got != want || closed != tc.closed {
				t.Errorf("client got %q (closed %v)\nwant       %q (closed %v)", got, closed, want, tc.closed)
			}
			reqs := b.requests()
			if len(reqs) != before+1 || reqs[before] != tc.req {
				t.Errorf("backend got %q, want %q", reqs[before:], tc.req)
			}
			res, err := fr.last()
			if res.Status != tc.status || res.Size != tc.size || (err != nil) != tc.err {
				t.Errorf("result %+v, %v; want status %d size %d error %v", res, err, tc.status, tc.size, tc.err)
			}
			if res.Close != tc.closed {
				t.Errorf("Result.Close = %v, want %v", res.Close, tc.closed)
			}
		})
	}
}

func TestKeepAliveReuse(t *testing.T) {
	b := relayBackend(t)
	p := b.proxy(Options{})
	defer p.Close()
	fr := startFront(t, p)
	want := relayResponses["/len"].resp

	// Two requests on one client connection, then two more clients one
	// after the other: one backend connection carries all of them.
	c, err := net.Dial("tcp", fr.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 {
		io.WriteString(c, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n")
		if got, closed := readAnswer(t, c, len(want)); got != want || closed {
			t.Fatalf("got %q closed %v", got, closed)
		}
	}
	for range 2 {
		if got, closed := exchangeRaw(t, fr.addr, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n", len(want)); got != want || closed {
			t.Fatalf("got %q closed %v", got, closed)
		}
	}
	if n := b.accepts.Load(); n != 1 {
		t.Errorf("backend accepted %d connections, want 1", n)
	}

	// After a response that closes, the next request needs a new one.
	exchangeRaw(t, fr.addr, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	exchangeRaw(t, fr.addr, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n", len(want))
	if n := b.accepts.Load(); n != 2 {
		t.Errorf("backend accepted %d connections, want 2", n)
	}
}

func TestPipelined(t *testing.T) {
	b := startBackend(t, func(path string, _ int) (string, bool, bool) {
		return resp("200 OK", "you asked for "+path), false, false
	})
	p := b.proxy(Options{})
	defer p.Close()
	fr := startFront(t, p)

	reqA := "GET /proxy/a HTTP/1.1\r\nHost: x\r\n\r\n"
	reqB := "POST /proxy/b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
	reqC := "POST /proxy/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"
	reqD := "GET /proxy/d HTTP/1.1\r\nHost: x\r\n\r\n"
	want := resp("200 OK", "you asked for /proxy/a") + resp("200 OK", "you asked for /proxy/b") +
		resp("200 OK", "you asked for /proxy/c") + resp("200 OK", "you asked for /proxy/d")
	got, closed := exchangeRaw(t, fr.addr, reqA+reqB+reqC+reqD, len(want))
	if got != want || closed {
		t.Errorf("client got %q (closed %v)\nwant %q", got, closed, want)
	}
	if reqs := b.requests(); strings.Join(reqs, "|") != strings.Join([]string{reqA, reqB, reqC, reqD}, "|") {
		t.Errorf("backend got %q", reqs)
	}
}

func TestBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := New(&config.Proxy{Addr: "127.0.0.1", Port: port}, Options{})
	defer p.Close()
	fr := startFront(t, p)
	got, closed := exchangeRaw(t, fr.addr, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", 0)
	if got != canned502 || !closed {
		t.Errorf("got %q closed %v", got, closed)
	}
	res, err := fr.last()
	if !errors.Is(err, ErrBackendDown) || res.Written != 0 || !res.Close {
		t.Errorf("Serve = %+v, %v", res, err)
	}
}

// TestStaleConnection covers a backend that drops a kept-alive connection:
// a dead pooled connection is noticed before use, and a request that races
// with the close is sent again only when that is safe.
func TestStaleConnection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		second  string
		hangUp  bool // the backend reads the second request and hangs up
		retried bool
	}{
		{name: "closed while idle", second: "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"},
		{name: "GET retried", second: "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", hangUp: true, retried: true},
		{name: "POST not retried", second: "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", hangUp: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBackend(t, func(path string, nth int) (string, bool, bool) {
				if nth == 2 {
					return "", false, true
				}
				return resp("200 OK", "ok"), !tc.hangUp, false // silently close after the first
			})
			p := b.proxy(Options{})
			defer p.Close()
			fr := startFront(t, p)
			want := resp("200 OK", "ok")
			if got, _ := exchangeRaw(t, fr.addr, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", len(want)); got != want {
				t.Fatalf("first: %q", got)
			}
			time.Sleep(50 * time.Millisecond)
			got, _ := exchangeRaw(t, fr.addr, tc.second, len(want))
			ok := tc.retried || !tc.hangUp
			if (got == want) != ok {
				t.Errorf("second request answered %q", got)
			}
			wantAccepts := int32(1)
			if ok {
				wantAccepts = 2
			}
			if n := b.accepts.Load(); n != wantAccepts {
				t.Errorf("backend accepted %d connections, want %d", n, wantAccepts)
			}
		})
	}
}

func TestUpgradeTunnel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const upgradeReq = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	const switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	backendDone := make(chan string, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			backendDone <- err.Error()
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		head := make([]byte, len(upgradeReq))
		io.ReadFull(nc, head)
		// The 101 and a first server frame in one write.
		io.WriteString(nc, switching+"\x81\x02hi")
		// Echo client frames until the client half-closes.
		rest, _ := io.ReadAll(nc)
		io.WriteString(nc, "\x81\x04echo")
		nc.(*net.TCPConn).CloseWrite()
		backendDone <- string(head) + "|" + string(rest)
	}()
	p := New(&config.Proxy{Addr: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}, Options{})
	defer p.Close()
	fr := startFront(t, p)

	c, err := net.Dial("tcp", fr.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A client frame right behind the head, in the same write.
	io.WriteString(c, upgradeReq+"\x81\x83abcd")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	first := make([]byte, len(switching)+4)
	if _, err := io.ReadFull(c, first); err != nil || string(first) != switching+"\x81\x02hi" {
		t.Fatalf("client got %q, %v", first, err)
	}
	io.WriteString(c, "xyz")
	c.(*net.TCPConn).CloseWrite()
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "\x81\x04echo" {
		t.Errorf("client got %q, %v after the 101", rest, err)
	}
	if got := <-backendDone; got != upgradeReq+"|\x81\x83abcdxyz" {
		t.Errorf("backend got %q", got)
	}
	res, err := fr.last()
	if err != nil || !res.Upgraded || !res.Close || res.Status != 101 {
		t.Errorf("Serve = %+v, %v", res, err)
	}
	if n := fr.tunnels.Load(); n != 1 {
		t.Errorf("Tunnel called %d times", n)
	}
}

func TestIsUpgrade(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: HTTP2-Settings, upgrade \r\n\r\n", true},
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: upgrade\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgraded\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", false},
	} {
		var req http1.Request
		if _, err := req.Parse([]byte(tc.head), http1.Options{}); err != nil {
			t.Fatal(err)
		}
		if got := IsUpgrade(&req); got != tc.want {
			t.Errorf("IsUpgrade(%q) = %v", tc.head, got)
		}
	}
}

// TestNon101ToUpgrade checks that an upgrade request the backend refuses is
// an ordinary exchange and the connection stays usable.
func TestNon101ToUpgrade(t *testing.T) {
	b := relayBackend(t)
	p := b.proxy(Options{})
	defer p.Close()
	fr := startFront(t, p)
	want := relayResponses["/len"].resp
	in := "GET /len HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	got, closed := exchangeRaw(t, fr.addr, in+in, 2*len(want))
	if got != want+want || closed {
		t.Errorf("got %q closed %v", got, closed)
	}
	if n := fr.tunnels.Load(); n != 0 {
		t.Errorf("Tunnel called %d times", n)
	}
}
