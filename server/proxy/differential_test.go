package proxy

import (
	"fmt"
	"os/exec"
	"testing"

	"github.com/bareku/bareku/internal/testutil"
)

const (
	oracle   = testutil.Mongrel2
	oracleSh = testutil.M2sh
)

// oracleConfig routes everything to one Proxy.
const oracleConfig = `backend = Proxy(addr='127.0.0.1', port=%d)
main = Server(
    uuid="proxy-diff",
    access_log="logs/access.log",
    error_log="logs/error.log",
    chroot="",
    default_host="localhost",
    name="diff",
    pid_file="run/mongrel2.pid",
    bind_addr="127.0.0.1",
    port=%d,
    hosts = [
        Host(name="localhost", routes={'/': backend})
    ]
)
settings = {"server.daemonize": 0}
servers = [main]
`

// TestDifferential sends the same requests, one per connection, to Debian's
// Mongrel2 with a Proxy route and to Serve behind the test front end, both
// in front of the same backend, and compares what the client and the
// backend get.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real mongrel2")
	}
	for _, bin := range []string{oracle, oracleSh} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	b := relayBackend(t)
	realAddr := startOracle(t, b.port)
	p := b.proxy(Options{})
	defer p.Close()
	fr := startFront(t, p)

	cases := []struct {
		name string
		req  string
		path string
		// deviation marks a case where Mongrel2 is wrong and the answers
		// must differ (docs/compatibility.md lists it).
		deviation bool
	}{
		{"content-length", "GET /len HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", "/len", false},
		{"empty body", "GET /empty HTTP/1.1\r\nHost: localhost\r\n\r\n", "/empty", false},
		{"chunked response", "GET /chunked-plain HTTP/1.1\r\nHost: localhost\r\n\r\n", "/chunked-plain", false},
		// Mongrel2 relays two bytes after the last-chunk line, then stalls.
		{"chunked response with trailers", "GET /chunked HTTP/1.1\r\nHost: localhost\r\n\r\n", "/chunked", true},
		// Mongrel2 waits for a body after a HEAD response with a length
		// and sends the client nothing.
		{"HEAD", "HEAD /head HTTP/1.1\r\nHost: localhost\r\n\r\n", "/head", true},
		{"interim 100", "POST /continue HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", "/continue", false},
		{"expect continue", "POST /post HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", "/post", false},
		{"until eof", "GET /until-eof HTTP/1.1\r\nHost: localhost\r\n\r\n", "/until-eof", false},
		{"connection close", "GET /close HTTP/1.1\r\nHost: localhost\r\n\r\n", "/close", false},
		{"204", "GET /204 HTTP/1.1\r\nHost: localhost\r\n\r\n", "/204", false},
		{"304", "GET /304 HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"x\"\r\n\r\n", "/304", false},
		{"response kept verbatim", "GET /odd HTTP/1.1\r\nHost: localhost\r\n\r\n", "/odd", false},
		{"post with length", "POST /post HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello=world", "/post", false},
		{"prefix and query kept", "GET /proxy/a?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n", "/proxy/a", false},
		{"http/1.0 client", "GET /len HTTP/1.0\r\n\r\n", "/len", false},
		{"hop-by-hop headers kept", "GET /len HTTP/1.1\r\nHost: other.example\r\nConnection: keep-alive, TE\r\nTE: trailers\r\nProxy-Authorization: x\r\n\r\n", "/len", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := relayResponses[tc.path]
			n := len(want.resp)
			if want.close {
				n = 0
			}
			real, realClosed := exchangeRaw(t, realAddr, tc.req, n)
			realReqs := b.requests()
			ours, oursClosed := exchangeRaw(t, fr.addr, tc.req, n)
			oursReqs := b.requests()
			if tc.deviation {
				if real == ours && realClosed == oursClosed {
					t.Errorf("deviation: mongrel2 now gives the same answer %q", ours)
				}
			} else if real != ours || realClosed != oursClosed {
				t.Errorf("mongrel2: %q (closed %v)\nours:     %q (closed %v)", real, realClosed, ours, oursClosed)
			}
			if ours != want.resp {
				t.Errorf("ours: %q, want %q", ours, want.resp)
			}
			if len(realReqs) == 0 || len(oursReqs) != len(realReqs)+1 || realReqs[len(realReqs)-1] != oursReqs[len(oursReqs)-1] {
				t.Errorf("backend got %q from mongrel2, %q from us", last(realReqs), last(oursReqs))
			}
		})
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// TestDifferentialBackendDown compares the answer when the backend port is
// closed.
func TestDifferentialBackendDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real mongrel2")
	}
	for _, bin := range []string{oracle, oracleSh} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	port := testutil.FreePort(t)
	realAddr := startOracle(t, port)
	p := New(proxyRow(port), Options{})
	defer p.Close()
	fr := startFront(t, p)
	req := "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"
	real, realClosed := exchangeRaw(t, realAddr, req, 0)
	ours, oursClosed := exchangeRaw(t, fr.addr, req, 0)
	if real != ours || realClosed != oursClosed || ours != canned502 {
		t.Errorf("mongrel2: %q (closed %v)\nours:     %q (closed %v)", real, realClosed, ours, oursClosed)
	}
}

// startOracle runs Debian's mongrel2 with a Proxy route to backendPort in
// a temporary directory and returns its address.
func startOracle(t *testing.T, backendPort int) string {
	t.Helper()
	port := testutil.FreePort(t)
	addr := testutil.Addr(port)
	testutil.StartMongrel2(t, t.TempDir(), fmt.Sprintf(oracleConfig, backendPort, port), "proxy-diff", addr)
	return addr
}
