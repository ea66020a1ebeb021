package server

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tns "github.com/bareku/bareku/protocol/tnetstring"
	"github.com/bareku/bareku/protocol/zmq"
)

type controlClient struct {
	t    *testing.T
	sock *zmq.Socket
	mu   sync.Mutex
	sigs []syscall.Signal
}

func startControl(t *testing.T, ts *testServer) *controlClient {
	t.Helper()
	ep := "ipc://" + filepath.Join(t.TempDir(), "control")
	cc := &controlClient{t: t}
	err := ts.srv.StartControl(ep, func(sig syscall.Signal) error {
		cc.mu.Lock()
		cc.sigs = append(cc.sigs, sig)
		cc.mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := zmq.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	sock, err := ctx.Connect(zmq.Req, ep, zmq.Options{Linger: 0, RecvTimeout: 3 * time.Second, SendTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cc.sock = sock
	t.Cleanup(func() { sock.Close(); ctx.Term() })
	return cc
}

func (cc *controlClient) call(req string) string {
	cc.t.Helper()
	if err := cc.sock.Send([]byte(req)); err != nil {
		cc.t.Fatal(err)
	}
	rep, err := cc.sock.Recv()
	if err != nil {
		cc.t.Fatalf("control reply to %q: %v", req, err)
	}
	return string(rep)
}

func request(cmd string, args ...tns.Pair) string {
	return string(tns.List(tns.String(cmd), tns.Dict(args...)).Append(nil))
}

// The replies captured from Mongrel2 1.12.2 (spec §11.1-11.2).
func TestControlPortReplies(t *testing.T) {
	ts := startTestServer(t, nil)
	cc := startControl(t, ts)
	tests := []struct{ name, req, want string }{
		{"not a list", "5:hello,", "101:4:code,15:INVALID_REQUEST,5:error,63:Invalid request format, must be a list with two elements in it.,}"},
		{"garbage", "garbage", "97:4:code,12:INVALID_DATA,5:error,62:Invalid data, expecting a list with a string and a hash in it.,}"},
		{"one element", "8:4:help,]", "97:4:code,12:INVALID_DATA,5:error,62:Invalid data, expecting a list with a string and a hash in it.,}"},
		{"trailing NUL (m2sh 1.12 sends one)", request("uuid") + "\x00", "50:7:headers,7:4:uuid,]4:rows,19:15:11:test-server,]]}"},
		{"unknown", request("bogus"), "74:4:code,18:CALLBACK_NOT_FOUND,5:error,33:Callback requested was not found.,}"},
		{"stop", request("stop"), "59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}"},
		{"reload", request("reload"), "59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}"},
		{"terminate", request("terminate"), "59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}"},
		{"uuid", request("uuid"), "50:7:headers,7:4:uuid,]4:rows,19:15:11:test-server,]]}"},
		{"status bad what", request("status", tns.KV("what", tns.String("x"))), "51:5:error,39:Expected argument what=['net'|'tasks'].,}"},
		{"status no what", request("status"), "61:4:code,16:INVALID_ARGUMENT,5:error,22:Invalid argument type.,}"},
		{"kill not int", request("kill", tns.KV("id", tns.String("abc"))), "61:4:code,16:INVALID_ARGUMENT,5:error,22:Invalid argument type.,}"},
		{"kill unknown", request("kill", tns.KV("id", tns.Int(4242))), "61:4:code,16:INVALID_ARGUMENT,5:error,22:Invalid argument type.,}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cc.call(tc.req); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if want := []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM}; len(cc.sigs) != 3 || cc.sigs[0] != want[0] || cc.sigs[1] != want[1] || cc.sigs[2] != want[2] {
		t.Fatalf("signals %v, want %v", cc.sigs, want)
	}
}

func TestControlHelpTimeInfo(t *testing.T) {
	ts := startTestServer(t, nil)
	cc := startControl(t, ts)
	help := cc.call(request("help"))
	if !strings.HasPrefix(help, "") || !strings.Contains(help, "4:stop,24:stop the server (SIGINT),") ||
		!strings.Contains(help, "6:status,28:status, what=['net'|'tasks'],") {
		t.Fatalf("help: %q", help)
	}
	v, _, err := tns.Parse([]byte(cc.call(request("time"))))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Get("rows")
	if now := time.Now().Unix(); len(rows.List) != 1 || rows.List[0].List[0].Type != tns.TypeString ||
		mustAtoi(t, string(rows.List[0].List[0].Str)) < int(now-5) {
		t.Fatalf("time reply %q", cc.call(request("time")))
	}
	info := cc.call(request("info"))
	if !strings.Contains(info, "16:default_hostname,]") || !strings.Contains(info, "11:test-server,") {
		t.Fatalf("info: %q", info)
	}
}

func TestControlStatusNetAndKill(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	cc := startControl(t, ts)
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	msg := h.recv()
	v, _, err := tns.Parse([]byte(cc.call(request("status", tns.KV("what", tns.String("net"))))))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Get("rows")
	if len(rows.List) != 1 {
		t.Fatalf("status net rows: %d", len(rows.List))
	}
	row := rows.List[0].List
	if row[0].Int != int64(msg.ID) || row[1].Int <= 0 || row[2].Int != 1 || row[6].Int != 25 {
		t.Fatalf("status row %+v", row)
	}
	if got := cc.call(request("kill", tns.KV("id", tns.Int(int64(msg.ID))))); got != "40:7:headers,9:6:status,]4:rows,8:5:2:OK,]]}" {
		t.Fatalf("kill: %q", got)
	}
	if got := readAll(t, c); got != "" {
		t.Fatalf("killed connection read %q", got)
	}
	if raw := h.recvRaw(); !strings.Contains(string(raw), " @* ") {
		t.Fatalf("no disconnect after kill: %q", raw)
	}
	if got := cc.call(request("control_stop")); got != "63:7:headers,6:3:msg,]4:rows,33:29:25:stopping the control port,]]}" {
		t.Fatalf("control_stop: %q", got)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
