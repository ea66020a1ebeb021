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

const uuid = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"

func request(id, version, connection string) string {
	h := `{"PATH":"/hello/x","host":"localhost",`
	if connection != "" {
		h += `"connection":"` + connection + `",`
	}
	h += `"METHOD":"GET","VERSION":"` + version + `","URI":"/hello/x","PATTERN":"/hello","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"}`
	return uuid + " " + id + " /hello/x " + strconv.Itoa(len(h)) + ":" + h + ",0:,"
}

func TestServe(t *testing.T) {
	fe := m2handlertest.New(t)
	conn, err := m2handler.ConnectOptions(fe.SendSpec, fe.RecvSpec, "hello-test", m2handler.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fe.Sync(func() error { return conn.Deliver("sync", []uint64{0}, []byte("s")) })
	done := make(chan error, 1)
	go func() { done <- serve(conn, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	const reply = "HTTP/1.1 200 OK\r\nContent-Length: 42\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from Bareku, you asked for /hello/x\n"
	tests := []struct {
		name, msg string
		want      []string
	}{
		{"keep-alive", request("1", "HTTP/1.1", ""), []string{uuid + " 1:1, " + reply}},
		{"connection close", request("2", "HTTP/1.1", "close"), []string{uuid + " 1:2, " + reply, uuid + " 1:2, "}},
		{"HTTP/1.0", request("3", "HTTP/1.0", ""), []string{uuid + " 1:3, " + reply, uuid + " 1:3, "}},
		{"HTTP/1.0 keep-alive", request("4", "HTTP/1.0", "Keep-Alive"), []string{uuid + " 1:4, " + reply}},
		{"disconnect", uuid + ` 5 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`, nil},
		{"garbage", "garbage", nil},
	}
	for _, tt := range tests {
		t.Logf("step %s", tt.name)
		fe.Send([]byte(tt.msg))
		for _, w := range tt.want {
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
