package m2handler

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bareku/bareku/handlers/m2handler/m2handlertest"
	"github.com/bareku/bareku/protocol/m2"
)

const testUUID = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"

// Request messages captured from Mongrel2 1.12.2 (spec §2.2, §2.4, §2.6, §2.7).
const (
	getJSON        = testUUID + ` 1 /handler 231:{"PATH":"/handler","x-forwarded-for":"127.0.0.1","user-agent":"t","host":"localhost","METHOD":"GET","VERSION":"HTTP/1.1","URI":"/handler?x=1&y=2","QUERY":"x=1&y=2","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},0:,`
	postJSON       = testUUID + ` 3 /handler/post 272:{"PATH":"/handler/post","x-forwarded-for":"127.0.0.1","content-type":"application/x-www-form-urlencoded","content-length":"11","host":"localhost","METHOD":"POST","VERSION":"HTTP/1.1","URI":"/handler/post","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},11:hello=world,`
	getTNet        = `aaaa-bbbb-tnet 2 /tnet/a/b 287:11:REMOTE_ADDR,9:127.0.0.1,6:METHOD,3:GET,10:URL_SCHEME,4:http,7:PATTERN,5:/tnet,8:FRAGMENT,4:frag,5:QUERY,10:x=1&y=%20z,3:URI,20:/tnet/a/b?x=1&y=%20z,7:VERSION,8:HTTP/1.1,4:PATH,9:/tnet/a/b,4:host,15:localhost:18080,6:accept,3:*/*,15:x-forwarded-for,9:127.0.0.1,5:x-dup,12:3:one,3:two,]}0:,`
	disconnectJSON = testUUID + ` 7 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	disconnectTNet = `aaaa-bbbb-tnet 7 @* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},`
	wsHandshake    = testUUID + ` 6 /ws 338:{"PATH":"/ws","x-forwarded-for":"127.0.0.1","origin":"http://localhost","connection":"Upgrade","sec-websocket-version":"13","sec-websocket-key":"dGhlIHNhbXBsZSBub25jZQ==","host":"localhost","upgrade":"websocket","METHOD":"WEBSOCKET_HANDSHAKE","VERSION":"HTTP/1.1","URI":"/ws","PATTERN":"/ws","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},28:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=,`
	chatJSON       = testUUID + ` 10 @chat 126:{"PATH":"@chat","x-forwarded-for":"127.0.0.1","METHOD":"JSON","PATTERN":"@chat","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},15:{"msg":"hello"},`
)

// connect returns a FrontEnd and a Conn connected to it whose replies are
// known to reach the FrontEnd.
func connect(t *testing.T, opt Options) (*m2handlertest.FrontEnd, *Conn) {
	t.Helper()
	fe := m2handlertest.New(t)
	opt.PollInterval = 10 * time.Millisecond
	c, err := ConnectOptions(fe.SendSpec, fe.RecvSpec, "test-sender", opt)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the FrontEnd's cleanup, so it runs before it.
	t.Cleanup(func() {
		if err := c.Shutdown(); err != nil {
			t.Error(err)
		}
	})
	fe.Sync(func() error { return c.Deliver("sync", []uint64{0}, []byte("sync")) })
	return fe, c
}

// recv sends msg from the FrontEnd and returns what the Conn receives.
func recv(t *testing.T, fe *m2handlertest.FrontEnd, c *Conn, msg string) *Request {
	t.Helper()
	fe.Send([]byte(msg))
	req, err := c.RecvTimeout(5 * time.Second)
	if err != nil {
		t.Fatalf("RecvTimeout: %v", err)
	}
	return req
}

func TestRecv(t *testing.T) {
	fe, c := connect(t, Options{})
	tests := []struct {
		name       string
		msg        string
		uuid       string
		id         uint64
		path       string
		protocol   m2.Protocol
		headers    map[string]string
		body       string
		disconnect bool
	}{
		{"GET JSON", getJSON, testUUID, 1, "/handler", m2.JSON,
			map[string]string{"METHOD": "GET", "QUERY": "x=1&y=2", "user-agent": "t", "VERSION": "HTTP/1.1"}, "", false},
		{"POST JSON", postJSON, testUUID, 3, "/handler/post", m2.JSON,
			map[string]string{"METHOD": "POST", "content-length": "11"}, "hello=world", false},
		{"GET tnetstring", getTNet, "aaaa-bbbb-tnet", 2, "/tnet/a/b", m2.TNetstring,
			map[string]string{"METHOD": "GET", "FRAGMENT": "frag", "x-dup": "one", "host": "localhost:18080"}, "", false},
		{"disconnect JSON", disconnectJSON, testUUID, 7, "@*", m2.JSON,
			map[string]string{"METHOD": "JSON"}, `{"type":"disconnect"}`, true},
		{"disconnect tnetstring", disconnectTNet, "aaaa-bbbb-tnet", 7, "@*", m2.TNetstring,
			map[string]string{"METHOD": "JSON"}, `{"type":"disconnect"}`, true},
		{"JSON socket message", chatJSON, testUUID, 10, "@chat", m2.JSON,
			map[string]string{"METHOD": "JSON", "PATTERN": "@chat"}, `{"msg":"hello"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := recv(t, fe, c, tt.msg)
			if req.UUID != tt.uuid || req.ID != tt.id || req.Path != tt.path || req.Protocol != tt.protocol {
				t.Errorf("got uuid %q id %d path %q protocol %v", req.UUID, req.ID, req.Path, req.Protocol)
			}
			for k, v := range tt.headers {
				if got := req.Header(k); got != v {
					t.Errorf("Header(%q) = %q, want %q", k, got, v)
				}
			}
			if string(req.Body) != tt.body {
				t.Errorf("Body = %q, want %q", req.Body, tt.body)
			}
			if req.IsDisconnect() != tt.disconnect {
				t.Errorf("IsDisconnect() = %v", req.IsDisconnect())
			}
		})
	}
	if got := recv(t, fe, c, getTNet).Headers["x-dup"]; fmt.Sprint(got) != "[one two]" {
		t.Errorf("x-dup = %q", got)
	}
}

func TestRecvInvalid(t *testing.T) {
	fe, c := connect(t, Options{})
	fe.Send([]byte("garbage"))
	if _, err := c.RecvTimeout(5 * time.Second); !errors.Is(err, m2.ErrInvalidRequest) {
		t.Fatalf("RecvTimeout on garbage: %v, want m2.ErrInvalidRequest", err)
	}
	if req := recv(t, fe, c, getJSON); req.ID != 1 {
		t.Errorf("after an invalid message: id %d", req.ID)
	}
}

func TestRecvTimeout(t *testing.T) {
	_, c := connect(t, Options{})
	start := time.Now()
	_, err := c.RecvTimeout(100 * time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("RecvTimeout: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("RecvTimeout(100ms) returned after %v", d)
	}
}

func TestReplies(t *testing.T) {
	fe, c := connect(t, Options{})
	req := recv(t, fe, c, getJSON)
	hdr := http.Header{}
	hdr.Set("Content-Type", "text/plain")
	hdr.Add("X-A", "1")
	hdr.Add("X-A", "2")
	hdr.Set("Content-Length", "999")

	tests := []struct {
		name string
		send func() error
		want []string
	}{
		{"Reply", func() error { return c.Reply(req, []byte("hello")) },
			[]string{testUUID + " 1:1, hello"}},
		{"Reply binary", func() error { return c.Reply(req, []byte("\x00\r\n ,:")) },
			[]string{testUUID + " 1:1, \x00\r\n ,:"}},
		{"ReplyHTTP", func() error { return c.ReplyHTTP(req, 200, "OK", hdr, []byte("hello")) },
			[]string{testUUID + " 1:1, HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello"}},
		{"ReplyHTTP no headers", func() error { return c.ReplyHTTP(req, 404, "Not Found", nil, nil) },
			[]string{testUUID + " 1:1, HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}},
		{"Close", func() error { return c.Close(req) },
			[]string{testUUID + " 1:1, "}},
		{"Deliver", func() error { return c.Deliver(testUUID, []uint64{1, 22, 333}, []byte("all")) },
			[]string{testUUID + " 8:1 22 333, all"}},
		{"Deliver no ids", func() error { return c.Deliver(testUUID, nil, []byte("none")) },
			nil},
		{"DeliverClose", func() error { return c.DeliverClose(testUUID, []uint64{4, 5}) },
			[]string{testUUID + " 3:4 5, "}},
		{"DeliverHTTP", func() error { return c.DeliverHTTP(testUUID, []uint64{4, 5}, 200, "OK", nil, []byte("x")) },
			[]string{testUUID + " 3:4 5, HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"}},
		{"Credits", func() error { return c.Credits("s2-handler", []uint64{3}, 4096) },
			[]string{"s2-handler 3:X 3, 27:3:ctl,17:7:credits,4:4096#}]"}},
		{"KeepAlive", func() error { return c.KeepAlive(testUUID, []uint64{1, 2}) },
			[]string{testUUID + " 5:X 1 2, 31:3:ctl,21:10:keep-alive,4:true!}]"}},
		{"Cancel", func() error { return c.Cancel(testUUID, []uint64{1}) },
			[]string{testUUID + " 3:X 1, 26:3:ctl,16:6:cancel,4:true!}]"}},
		{"ReplyWebSocket text", func() error { return c.ReplyWebSocket(req, OpText, []byte("hi")) },
			[]string{testUUID + " 1:1, \x81\x02hi"}},
		{"DeliverWebSocket close", func() error { return c.DeliverWebSocket(testUUID, []uint64{1, 2}, OpClose, []byte("\x03\xe8")) },
			[]string{testUUID + " 3:1 2, \x88\x02\x03\xe8"}},
		{"DeliverWebSocket 126 bytes", func() error { return c.DeliverWebSocket(testUUID, []uint64{9}, OpBinary, make([]byte, 126)) },
			[]string{testUUID + " 1:9, \x82\x7e\x00\x7e" + strings.Repeat("\x00", 126)}},
		{"DeliverWebSocket 65536 bytes", func() error { return c.DeliverWebSocket(testUUID, []uint64{9}, OpBinary, make([]byte, 65536)) },
			[]string{testUUID + " 1:9, \x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + strings.Repeat("\x00", 65536)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				fe.Expect([]byte(w))
			}
			fe.ExpectNone(30 * time.Millisecond)
		})
	}
}

func TestDeliverMaxTargets(t *testing.T) {
	fe, c := connect(t, Options{MaxTargets: 2})
	if err := c.Deliver("u", []uint64{1, 2, 3, 4, 5}, []byte("b")); err != nil {
		t.Fatal(err)
	}
	fe.Expect([]byte("u 3:1 2, b"))
	fe.Expect([]byte("u 3:3 4, b"))
	fe.Expect([]byte("u 1:5, b"))
	if err := c.Cancel("u", []uint64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	fe.Expect([]byte("u 5:X 1 2, 26:3:ctl,16:6:cancel,4:true!}]"))
	fe.Expect([]byte("u 3:X 3, 26:3:ctl,16:6:cancel,4:true!}]"))
}

func TestAcceptWebSocket(t *testing.T) {
	fe, c := connect(t, Options{})
	req := recv(t, fe, c, wsHandshake)
	if !req.IsWebSocketHandshake() {
		t.Fatal("IsWebSocketHandshake() = false")
	}
	if err := c.AcceptWebSocket(req); err != nil {
		t.Fatal(err)
	}
	fe.Expect([]byte(testUUID + " 1:6, HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"))

	if err := c.AcceptWebSocket(recv(t, fe, c, getJSON)); err == nil {
		t.Error("AcceptWebSocket accepted a GET")
	}
	fe.ExpectNone(30 * time.Millisecond)
}

func TestRejectedReplies(t *testing.T) {
	fe, c := connect(t, Options{})
	req := recv(t, fe, c, getJSON)
	tests := []struct {
		name string
		send func() error
	}{
		{"CRLF in header value", func() error {
			return c.ReplyHTTP(req, 200, "OK", http.Header{"X-A": {"a\r\nSet-Cookie: x=1"}}, nil)
		}},
		{"LF in header name", func() error { return c.ReplyHTTP(req, 200, "OK", http.Header{"X\nA": {"a"}}, nil) }},
		{"colon in header name", func() error { return c.ReplyHTTP(req, 200, "OK", http.Header{"X:A": {"a"}}, nil) }},
		{"CR in status", func() error { return c.ReplyHTTP(req, 200, "OK\r\n", nil, nil) }},
		{"status code", func() error { return c.ReplyHTTP(req, 99, "Low", nil, nil) }},
		{"long control frame", func() error { return c.ReplyWebSocket(req, OpPing, make([]byte, 126)) }},
		{"opcode", func() error { return c.ReplyWebSocket(req, 0x10, nil) }},
	}
	for _, tt := range tests {
		if err := tt.send(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	fe.ExpectNone(50 * time.Millisecond)
}

func TestShutdown(t *testing.T) {
	fe := m2handlertest.New(t)
	c, err := ConnectOptions(fe.SendSpec, fe.RecvSpec, "sender", Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Recv()
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("blocked Recv returned %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Recv did not return after Shutdown")
	}
	if err := c.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, err := c.Recv(); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Shutdown: %v", err)
	}
	if err := c.Deliver("u", []uint64{1}, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Shutdown: %v", err)
	}
}

func TestConnectError(t *testing.T) {
	if _, err := Connect("bogus://x", "bogus://y", "id"); err == nil {
		t.Fatal("Connect to a bogus endpoint succeeded")
	}
}

// TestConcurrentUse sends from several goroutines while another receives;
// run it with -race.
func TestConcurrentUse(t *testing.T) {
	fe, c := connect(t, Options{})
	const senders, each = 4, 25
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				if err := c.Deliver("u", []uint64{uint64(g)}, fmt.Appendf(nil, "%d-%d", g, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		if _, err := c.RecvTimeout(5 * time.Second); err != nil {
			t.Error(err)
		}
	})
	fe.Send([]byte(getJSON))
	got := map[string]bool{}
	for range senders * each {
		msg, ok := fe.Recv(5 * time.Second)
		if !ok {
			t.Fatalf("only %d of %d replies arrived", len(got), senders*each)
		}
		got[string(msg)] = true
	}
	wg.Wait()
	for g := range senders {
		for i := range each {
			if w := fmt.Sprintf("u 1:%d, %d-%d", g, g, i); !got[w] {
				t.Errorf("missing %q", w)
			}
		}
	}
}
