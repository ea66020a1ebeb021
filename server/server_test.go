package server

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/tnetstring"
	"github.com/bareku/bareku/protocol/zmq"
)

const testIdent = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"

// testServer is an in-process server on a loopback port with one handler
// route (/handler) whose sockets are ipc:// endpoints in a temp dir.
type testServer struct {
	t        *testing.T
	srv      *Server
	addr     string
	sendSpec string
	recvSpec string
}

func startTestServer(t *testing.T, settings map[string]string) *testServer {
	t.Helper()
	ts := startTestServerTB(t, settings)
	ts.t = t
	return ts
}

func startTestServerTB(t testing.TB, settings map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	h := &config.Handler{
		ID:        1,
		SendSpec:  "ipc://" + filepath.Join(dir, "send"),
		SendIdent: testIdent,
		RecvSpec:  "ipc://" + filepath.Join(dir, "recv"),
		Protocol:  "json",
	}
	host := &config.Host{ID: 1, Name: "localhost", Matching: "localhost", Routes: []*config.Route{
		{ID: 1, Path: "/handler", TargetType: "handler", Handler: h},
		{ID: 2, Path: "@chat", TargetType: "handler", Handler: h},
	}}
	snap := &config.Snapshot{
		Server:      config.Server{UUID: "test-server", DefaultHostName: "localhost"},
		Settings:    config.ParseSettings(settings),
		Hosts:       []*config.Host{host},
		DefaultHost: host,
	}
	srv, err := New(snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{srv: srv, addr: ln.Addr().String(), sendSpec: h.SendSpec, recvSpec: h.RecvSpec}
}

// fakeHandler is a handler process: PULL from send_spec, PUB to recv_spec.
type fakeHandler struct {
	t         *testing.T
	ctx       *zmq.Context
	pull, pub *zmq.Socket
}

func (ts *testServer) handler() *fakeHandler {
	t := ts.t
	t.Helper()
	ctx, err := zmq.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	pull, err := ctx.Connect(zmq.Pull, ts.sendSpec, zmq.Options{RecvTimeout: 3 * time.Second, Linger: 0})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ctx.Connect(zmq.Pub, ts.recvSpec, zmq.Options{Linger: 0})
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHandler{t: t, ctx: ctx, pull: pull, pub: pub}
	t.Cleanup(h.close)
	return h
}

func (h *fakeHandler) close() {
	h.pull.Close()
	h.pub.Close()
	h.ctx.Term()
}

func (h *fakeHandler) recv() *m2.Message {
	h.t.Helper()
	raw, err := h.pull.Recv()
	if err != nil {
		h.t.Fatalf("handler recv: %v", err)
	}
	msg, err := m2.ParseRequest(raw)
	if err != nil {
		h.t.Fatalf("handler got unparsable message %q: %v", raw, err)
	}
	return msg
}

func (h *fakeHandler) recvRaw() []byte {
	h.t.Helper()
	raw, err := h.pull.Recv()
	if err != nil {
		h.t.Fatalf("handler recv: %v", err)
	}
	return raw
}

func (h *fakeHandler) send(raw []byte) {
	h.t.Helper()
	if err := h.pub.Send(raw); err != nil {
		h.t.Fatal(err)
	}
}

// reply sends body to ids. A PUB socket drops messages until the
// subscription has propagated, so the first reply of a test is retried
// through replyUntil.
func (h *fakeHandler) reply(body string, ids ...uint64) {
	h.send(m2.AppendReply(nil, testIdent, ids, []byte(body)))
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

// readN reads exactly n bytes.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read %d bytes: %v (got %q)", n, err, buf)
	}
	return string(buf)
}

// readAll reads until the server closes the connection.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read until close: %v (got %q)", err, b)
	}
	return string(b)
}

// firstReply sends body to id until the client sees it: the PUB→SUB
// subscription takes a moment to propagate after connecting.
func (h *fakeHandler) firstReply(c net.Conn, body string, id uint64) {
	h.t.Helper()
	h.firstReplyAs(c, body, body, id)
}

// firstReplyAs is firstReply for a body the client sees encoded as want.
func (h *fakeHandler) firstReplyAs(c net.Conn, body, want string, id uint64) {
	h.t.Helper()
	for range 50 {
		h.reply(body, id)
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, len(want))
		n, err := io.ReadFull(c, buf)
		if err == nil {
			if string(buf) != want {
				h.t.Fatalf("client got %q, want %q", buf, want)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			return
		}
		if n > 0 {
			h.t.Fatalf("partial reply %q: %v", buf[:n], err)
		}
	}
	h.t.Fatal("the reply never reached the client")
}

func TestRequestReachesHandlerAndReplyReachesClient(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler/x?a=1#frag HTTP/1.1\r\nHost: localhost\r\nX-Dup: 1\r\nX-Dup: 2\r\nX-Forwarded-For: evil\r\n\r\n")
	msg := h.recv()
	want := map[string]string{
		"PATH": "/handler/x", "METHOD": "GET", "VERSION": "HTTP/1.1", "URI": "/handler/x?a=1",
		"QUERY": "a=1", "FRAGMENT": "frag", "PATTERN": "/handler", "URL_SCHEME": "http",
		"REMOTE_ADDR": "127.0.0.1", "x-forwarded-for": "127.0.0.1", "host": "localhost",
	}
	for k, v := range want {
		if got := msg.Header(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got := msg.Headers["x-dup"]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("x-dup = %q, want [1 2]", got)
	}
	if msg.UUID != testIdent || msg.ID == 0 || msg.Path != "/handler/x" {
		t.Errorf("message start: uuid %q id %d path %q", msg.UUID, msg.ID, msg.Path)
	}
	h.firstReply(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", msg.ID)
}

func TestEmptyReplyClosesAfterFlush(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.0\r\n\r\n")
	msg := h.recv()
	h.firstReply(c, "first", msg.ID)
	// Both in one go: the close must come after "second" is written.
	h.reply("second", msg.ID)
	h.reply("", msg.ID)
	if got := readAll(t, c); got != "second" {
		t.Fatalf("client got %q before close, want %q", got, "second")
	}
}

func TestMultiIDReplyAndDuplicates(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	a, b := dial(t, ts.addr), dial(t, ts.addr)
	write(t, a, "GET /handler HTTP/1.1\r\n\r\n")
	ma := h.recv()
	write(t, b, "GET /handler HTTP/1.1\r\n\r\n")
	mb := h.recv()
	if ma.ID == mb.ID {
		t.Fatalf("two connections share id %d", ma.ID)
	}
	h.firstReply(a, "warm", ma.ID)
	h.reply("both", ma.ID, mb.ID, mb.ID)
	if got := readN(t, a, 4); got != "both" {
		t.Errorf("a got %q", got)
	}
	if got := readN(t, b, 8); got != "bothboth" {
		t.Errorf("b got %q, want the body twice (id listed twice)", got)
	}
}

func TestClientCloseSendsDisconnect(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	c.Close()
	raw := h.recvRaw()
	want := testIdent + " " + itoa(msg.ID) + ` @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	if string(raw) != want {
		t.Fatalf("disconnect event:\n got %q\nwant %q", raw, want)
	}
}

func TestReplyToUnknownIDSendsDisconnect(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	h.firstReply(c, "x", msg.ID) // subscription is up
	h.reply("lost", 99999)
	raw := h.recvRaw()
	want := testIdent + ` 99999 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	if string(raw) != want {
		t.Fatalf("got %q, want %q", raw, want)
	}
}

func TestRequestWaitsForLateHandler(t *testing.T) {
	ts := startTestServer(t, nil)
	c := dial(t, ts.addr)
	write(t, c, "POST /handler HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
	time.Sleep(300 * time.Millisecond) // no handler connected yet
	h := ts.handler()
	msg := h.recv()
	if string(msg.Body) != "hello" || msg.Header("METHOD") != "POST" {
		t.Fatalf("late handler got %s %q", msg.Header("METHOD"), msg.Body)
	}
}

func TestCtlCancelAndKeepAlive(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	h.firstReply(c, "x", msg.ID)
	ka := tnetstring.Dict(tnetstring.KV("keep-alive", tnetstring.Null()))
	h.send(m2.AppendExtendedReply(nil, testIdent, []uint64{msg.ID}, "ctl", ka))
	cancel := tnetstring.Dict(tnetstring.KV("cancel", tnetstring.Null()))
	h.send(m2.AppendExtendedReply(nil, testIdent, []uint64{msg.ID}, "ctl", cancel))
	if got := readAll(t, c); got != "" {
		t.Fatalf("cancel: client got %q before close", got)
	}
}

func TestCannedErrors(t *testing.T) {
	ts := startTestServer(t, map[string]string{"limits.content_length": "10", "limits.buffer_size": "256"})
	tests := []struct {
		name, req string
		code      int
	}{
		{"bad method", "get /handler HTTP/1.1\r\n\r\n", 400},
		{"bad version", "GET /handler HTTP/1.2\r\n\r\n", 400},
		{"no route", "GET /nothing HTTP/1.1\r\n\r\n", 404},
		{"body too large", "POST /handler HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
		{"chunked without temp store", "POST /handler HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
		{"bad expect", "POST /handler HTTP/1.1\r\nExpect: nothing\r\nContent-Length: 1\r\n\r\n", 417},
		{"head over buffer_size", "GET /handler HTTP/1.1\r\nX-Big: " + strings.Repeat("a", 300) + "\r\n\r\n", 400},
		{"json message without route", "@nowhere {}\x00", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			write(t, c, tc.req)
			if got, want := readAll(t, c), string(cannedResponses[tc.code]); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestExpectContinue(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "POST /handler HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
	if got := readN(t, c, len(continueResponse)); got != string(continueResponse) {
		t.Fatalf("got %q", got)
	}
	write(t, c, "ok")
	if msg := h.recv(); string(msg.Body) != "ok" {
		t.Fatalf("body %q", msg.Body)
	}
}

func TestPipelinedRequestsAllForwarded(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler/1 HTTP/1.1\r\n\r\nGET /handler/2 HTTP/1.1\r\n\r\nPOST /handler/3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
	for i, want := range []string{"/handler/1", "/handler/2", "/handler/3"} {
		if msg := h.recv(); msg.Path != want {
			t.Fatalf("request %d: path %q, want %q", i, msg.Path, want)
		}
	}
}

func TestJSONSocketMessageRepliesAreBase64(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "@chat {\"msg\":\"hello\"}\x00")
	msg := h.recv()
	if msg.Path != "@chat" || msg.Header("METHOD") != "JSON" || string(msg.Body) != `{"msg":"hello"}` {
		t.Fatalf("got path %q method %q body %q", msg.Path, msg.Header("METHOD"), msg.Body)
	}
	if _, ok := msg.Headers["VERSION"]; ok {
		t.Error("socket messages carry no VERSION")
	}
	h.firstReplyAs(c, `{"a":1}`+"\x00", "eyJhIjoxfQ==", msg.ID) // trailing NUL stripped, then base64
}

func TestReaperKillsIdleConnectionAndTellsHandler(t *testing.T) {
	ts := startTestServer(t, map[string]string{
		"limits.min_ping": "1", "limits.kill_limit": "0", "limits.tick_timer": "1",
		"limits.min_read_rate": "0", "limits.min_write_rate": "0",
	})
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	start := time.Now()
	if got := readAll(t, c); got != "" {
		t.Fatalf("reaped connection got %q", got)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("reaped after %v", d)
	}
	if raw := h.recvRaw(); !bytes.Contains(raw, []byte(" "+itoa(msg.ID)+" @* ")) {
		t.Fatalf("no disconnect after reaping: %q", raw)
	}
}

func TestRegistryIDsSkipLiveOnes(t *testing.T) {
	r := newRegistry()
	a, b := &conn{}, &conn{}
	r.add(a)
	r.add(b)
	if id := r.assignID(a); id != 1 {
		t.Fatalf("first id %d", id)
	}
	r.next = 1 // wrap around onto a live id
	if id := r.assignID(b); id != 2 {
		t.Fatalf("id after wrap %d, want 2 (1 is live)", id)
	}
	if r.lookup(1) != a || r.lookup(2) != b || r.lookup(3) != nil || r.lookup(1<<40) != nil {
		t.Fatal("lookup mismatch")
	}
	r.remove(a)
	if r.lookup(1) != nil {
		t.Fatal("removed id still found")
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestJSONPingIsNotForwarded(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "@chat {\"type\":\"ping\"}\x00@chat {\"type\": \"x\"}\x00")
	if msg := h.recv(); string(msg.Body) != `{"type": "x"}` {
		t.Fatalf("handler got %q, want only the non-ping message", msg.Body)
	}
}

// wsFrame builds a masked client frame.
func wsFrame(first byte, payload string) string {
	b := []byte{first, 0x80 | byte(len(payload)), 1, 2, 3, 4}
	for i := range len(payload) {
		b = append(b, payload[i]^byte(i%4+1))
	}
	return string(b)
}

func TestWebSocketHandshakeAndFrames(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	hs := h.recv()
	if hs.Header("METHOD") != "WEBSOCKET_HANDSHAKE" || string(hs.Body) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: method %q body %q", hs.Header("METHOD"), hs.Body)
	}
	// A fragmented text message with a ping between the fragments, then
	// a binary message and a close.
	write(t, c, wsFrame(0x01, "hel")+wsFrame(0x89, "p")+wsFrame(0x80, "lo")+wsFrame(0x82, "\x00\x01")+wsFrame(0x88, ""))
	want := []struct{ flags, body string }{{"0x89", "p"}, {"0x81", "hello"}, {"0x82", "\x00\x01"}, {"0x88", ""}}
	for _, w := range want {
		m := h.recv()
		if m.Header("METHOD") != "WEBSOCKET" || m.Header("FLAGS") != w.flags || string(m.Body) != w.body || m.ID != hs.ID {
			t.Fatalf("got method %q flags %q body %q id %d, want %s %q", m.Header("METHOD"), m.Header("FLAGS"), m.Body, m.ID, w.flags, w.body)
		}
		if m.Header("sec-websocket-key") != "dGhlIHNhbXBsZSBub25jZQ==" || m.Path != "/handler/ws" {
			t.Fatalf("frame message lost the upgrade headers: %v", m.Headers)
		}
	}
	h.firstReply(c, "HTTP/1.1 101 Switching Protocols\r\n\r\n", hs.ID)
	// An unmasked frame is a protocol error: closed, handler told.
	write(t, c, "\x81\x01x")
	if got := readAll(t, c); got != "" {
		t.Fatalf("got %q after a protocol error", got)
	}
	if raw := h.recvRaw(); !strings.Contains(string(raw), " @* ") {
		t.Fatalf("no disconnect: %q", raw)
	}
}

func TestWebSocketOnlyAsFirstRequest(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\nGET /handler HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: a\r\nSec-WebSocket-Version: 13\r\n\r\n")
	h.recv()
	if got := readAll(t, c); got != "" {
		t.Fatalf("got %q", got)
	}
}
