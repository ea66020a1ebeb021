package main

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/bareku/bareku/handlers/m2handler"
	"github.com/bareku/bareku/handlers/m2handler/m2handlertest"
)

const (
	srvA = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"
	srvB = "aaaa-bbbb"
)

func netstring(s string) string { return strconv.Itoa(len(s)) + ":" + s + "," }

// socketMsg is a JSON socket message as the server sends it (spec §2.7).
func socketMsg(uuid string, id int, body string) string {
	h := `{"PATH":"@chat","x-forwarded-for":"127.0.0.1","METHOD":"JSON","PATTERN":"@chat","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"}`
	return uuid + " " + strconv.Itoa(id) + " @chat " + netstring(h) + netstring(body)
}

func httpMsg(uuid string, id int, method, version, body string) string {
	h := `{"PATH":"/chat","host":"localhost","METHOD":"` + method + `","VERSION":"` + version + `","URI":"/chat","PATTERN":"/chat","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"}`
	return uuid + " " + strconv.Itoa(id) + " /chat " + netstring(h) + netstring(body)
}

func disconnect(uuid string, id int) string {
	return uuid + " " + strconv.Itoa(id) + ` @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
}

func TestChat(t *testing.T) {
	fe := m2handlertest.New(t)
	conn, err := m2handler.ConnectOptions(fe.SendSpec, fe.RecvSpec, "chat-test", m2handler.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fe.Sync(func() error { return conn.Deliver("sync", []uint64{0}, []byte("s")) })
	done := make(chan error, 1)
	go func() { done <- newRoom(conn, slog.New(slog.NewTextHandler(io.Discard, nil))).serve() }()

	const hi, yo = `{"type":"msg","msg":"hi"}`, `{"type":"msg","msg":"yo"}`
	steps := []struct {
		name, msg string
		want      []string
	}{
		{"first join", socketMsg(srvA, 10, hi), []string{srvA + " 2:10, " + hi}},
		{"second join", socketMsg(srvA, 11, yo), []string{srvA + " 5:10 11, " + yo}},
		{"member again", socketMsg(srvA, 10, hi), []string{srvA + " 5:10 11, " + hi}},
		{"join on another server", socketMsg(srvB, 3, hi), []string{
			srvA + " 5:10 11, " + hi,
			srvB + " 1:3, " + hi,
		}},
		{"POST", httpMsg(srvA, 5, "POST", "HTTP/1.1", "news"), []string{
			srvA + " 5:10 11, news",
			srvB + " 1:3, news",
			srvA + " 1:5, HTTP/1.1 200 OK\r\nContent-Length: 15\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ndelivered to 3\n",
		}},
		{"disconnect of a member", disconnect(srvA, 10), nil},
		{"disconnect of a stranger", disconnect(srvA, 99), nil},
		{"after the leave", socketMsg(srvA, 11, yo), []string{
			srvA + " 2:11, " + yo,
			srvB + " 1:3, " + yo,
		}},
		{"POST HTTP/1.0 closes", httpMsg(srvB, 6, "POST", "HTTP/1.0", "x"), []string{
			srvA + " 2:11, x",
			srvB + " 1:3, x",
			srvB + " 1:6, HTTP/1.1 200 OK\r\nContent-Length: 15\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ndelivered to 2\n",
			srvB + " 1:6, ",
		}},
		{"empty POST is refused", httpMsg(srvA, 7, "POST", "HTTP/1.1", ""), []string{
			srvA + " 1:7, HTTP/1.1 400 Bad Request\r\nContent-Length: 14\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nempty message\n",
		}},
		{"GET", httpMsg(srvA, 8, "GET", "HTTP/1.1", ""), []string{
			srvA + " 1:8, HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 51\r\nAllow: POST\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPOST a message, or join with @chat socket messages\n",
		}},
		{"garbage", "garbage", nil},
	}
	for _, s := range steps {
		t.Logf("step %s", s.name)
		fe.Send([]byte(s.msg))
		for _, w := range s.want {
			fe.Expect([]byte(w))
		}
		fe.ExpectNone(30 * time.Millisecond)
	}

	if err := conn.Shutdown(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after Shutdown")
	}
}
