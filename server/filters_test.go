package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/m2"
	tns "github.com/bareku/bareku/protocol/tnetstring"
)

func TestNullFilterDropsHandlerRequests(t *testing.T) {
	ts := startTestServer(t, nil)
	snap := *ts.srv.Snapshot()
	snap.Filters = []config.Plugin{{ID: 1, Name: "/usr/lib/mongrel2/filters/null.so", Settings: "0:}"}}
	if err := ts.srv.Reload(&snap); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	if got := readAll(t, c); got != "" {
		t.Fatalf("null filter: got %q, want a silent close", got)
	}
}

func TestUnknownFilterIsRejected(t *testing.T) {
	ts := startTestServer(t, nil)
	for _, snap := range []config.Snapshot{
		{Filters: []config.Plugin{{ID: 1, Name: "/x/custom.so"}}},
		{XRequests: []config.Plugin{{ID: 1, Name: "/x/other.so"}}},
	} {
		next := *ts.srv.Snapshot()
		next.Filters, next.XRequests = snap.Filters, snap.XRequests
		err := ts.srv.Reload(&next)
		if err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Fatalf("reload with an unknown plugin: %v", err)
		}
	}
}

func TestSendfileReplyStreamsFileInOrder(t *testing.T) {
	ts := startTestServer(t, nil)
	snap := *ts.srv.Snapshot()
	snap.XRequests = []config.Plugin{{ID: 1, Name: "/usr/lib/mongrel2/filters/sendfile.so", Settings: "0:}"}}
	if err := ts.srv.Reload(&snap); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(path, []byte("file body"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	h.firstReply(c, "head:", msg.ID)
	h.send(m2.AppendExtendedReply(nil, testIdent, []uint64{msg.ID}, "sendfile", tns.String(path)))
	h.reply(":tail", msg.ID)
	if got := readN(t, c, len("file body:tail")); got != "file body:tail" {
		t.Fatalf("got %q", got)
	}
	// A missing file closes the connection.
	h.send(m2.AppendExtendedReply(nil, testIdent, []uint64{msg.ID}, "sendfile", tns.String(path+".missing")))
	if got := readAll(t, c); got != "" {
		t.Fatalf("got %q after a failed sendfile", got)
	}
}

func TestRewriteHead(t *testing.T) {
	var req http1.Request
	raw := "GET /proxy/a/b?q=1 HTTP/1.1\r\nHost: x\r\nX-Dup: 1\r\nX-Forwarded-For: evil\r\nX-Dup: 2\r\n\r\n"
	if n, err := req.Parse([]byte(raw), http1.Options{}); n == 0 || err != nil {
		t.Fatal(n, err)
	}
	got, ok := rewriteHead(nil, &req, []byte("127.0.0.1"), false)
	want := "GET /a/b HTTP/1.1\r\nhost:x\r\nx-dup:1,2\r\nx-forwarded-for:127.0.0.1\r\n\r\n"
	if !ok || string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	req.Parse([]byte("GET /other HTTP/1.1\r\n\r\n"), http1.Options{})
	if _, ok := rewriteHead(nil, &req, nil, false); ok {
		t.Fatal("rewrote a path outside /proxy/")
	}
}
