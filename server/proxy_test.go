package server

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bareku/bareku/config"
)

// rawBackend is a tiny HTTP/1.1 backend that records each request line and
// answers "<n>:<path>" with a Content-Length.
type rawBackend struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
}

func startRawBackend(t *testing.T) *rawBackend {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &rawBackend{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return b
}

func (b *rawBackend) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		length := 0
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if h == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(strings.ToLower(h), "content-length:"); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		io.CopyN(io.Discard, br, int64(length))
		b.mu.Lock()
		b.lines = append(b.lines, strings.TrimSpace(line))
		n := len(b.lines)
		b.mu.Unlock()
		body := strconv.Itoa(n) + ":" + strings.Fields(line)[1]
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	}
}

func (b *rawBackend) port() int { return b.ln.Addr().(*net.TCPAddr).Port }

func proxySnapshot(ts *testServer, port int) *config.Snapshot {
	snap := *ts.srv.Snapshot()
	host := *snap.Hosts[0]
	host.Routes = append(append([]*config.Route(nil), host.Routes...),
		&config.Route{ID: 9, Path: "/proxy", TargetType: "proxy", Proxy: &config.Proxy{ID: 1, Addr: "127.0.0.1", Port: port}})
	snap.Hosts = []*config.Host{&host}
	snap.DefaultHost = &host
	return &snap
}

func TestProxyForwardsPipelinedRequests(t *testing.T) {
	ts := startTestServer(t, nil)
	be := startRawBackend(t)
	if err := ts.srv.Reload(proxySnapshot(ts, be.port())); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.addr)
	write(t, c, "GET /proxy/a?q=1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /proxy/b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /proxy/c HTTP/1.1\r\nHost: x\r\n\r\n")
	want := "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n1:/proxy/a?q=1" +
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n2:/proxy/b" +
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n3:/proxy/c"
	if got := readN(t, c, len(want)); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestProxyBackendDownIs502(t *testing.T) {
	ts := startTestServer(t, nil)
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if err := ts.srv.Reload(proxySnapshot(ts, port)); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.addr)
	write(t, c, "GET /proxy/x HTTP/1.1\r\n\r\n")
	if got := readAll(t, c); got != string(cannedResponses[502]) {
		t.Fatalf("got %q", got)
	}
}

func TestProxyRewriteFilter(t *testing.T) {
	ts := startTestServer(t, nil)
	be := startRawBackend(t)
	snap := proxySnapshot(ts, be.port())
	snap.Filters = []config.Plugin{{ID: 1, Name: "/usr/lib/mongrel2/filters/rewrite.so", Settings: "0:}"}}
	if err := ts.srv.Reload(snap); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.addr)
	write(t, c, "GET /proxy/a/b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	want := "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n1:/a/b"
	if got := readN(t, c, len(want)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
