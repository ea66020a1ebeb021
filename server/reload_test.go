package server

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
)

// snapshotWith builds a one-host snapshot routing each path to a handler.
func snapshotWith(routes map[string]*config.Handler, settings map[string]string) *config.Snapshot {
	host := &config.Host{ID: 1, Name: "localhost", Matching: "localhost"}
	id := int64(1)
	for path, h := range routes {
		host.Routes = append(host.Routes, &config.Route{ID: id, Path: path, TargetType: "handler", Handler: h})
		id++
	}
	return &config.Snapshot{
		Server:      config.Server{UUID: "test-server", DefaultHostName: "localhost"},
		Settings:    config.ParseSettings(settings),
		Hosts:       []*config.Host{host},
		DefaultHost: host,
	}
}

func ipcHandler(dir, name string) *config.Handler {
	return &config.Handler{
		SendSpec:  "ipc://" + filepath.Join(dir, name+"-send"),
		SendIdent: testIdent,
		RecvSpec:  "ipc://" + filepath.Join(dir, name+"-recv"),
		Protocol:  "json",
	}
}

func TestReloadSwapsRoutesAndKeepsUnchangedHandlers(t *testing.T) {
	ts := startTestServer(t, nil) // /handler and @chat on one handler
	h1 := ts.handler()
	old := ts.srv.Snapshot()
	oldHandler := old.Hosts[0].Routes[0].Handler

	// The same handler row (same sockets) on a new route, and a second
	// handler on /handler.
	dir := t.TempDir()
	second := ipcHandler(dir, "second")
	same := *oldHandler
	if err := ts.srv.Reload(snapshotWith(map[string]*config.Handler{"/moved": &same, "/handler": second}, nil)); err != nil {
		t.Fatal(err)
	}
	h2 := (&testServer{t: t, sendSpec: second.SendSpec, recvSpec: second.RecvSpec}).handler()

	c := dial(t, ts.addr)
	write(t, c, "GET /moved/x HTTP/1.1\r\n\r\n")
	if msg := h1.recv(); msg.Path != "/moved/x" || msg.Header("PATTERN") != "/moved" {
		t.Fatalf("the unchanged handler got %q (pattern %q)", msg.Path, msg.Header("PATTERN"))
	}
	write(t, c, "GET /handler/y HTTP/1.1\r\n\r\n")
	if msg := h2.recv(); msg.Path != "/handler/y" {
		t.Fatalf("the new handler got %q", msg.Path)
	}
	// @chat is gone: a socket message now finds no route.
	c2 := dial(t, ts.addr)
	write(t, c2, "@chat {}\x00")
	if got := readAll(t, c2); got != string(cannedResponses[404]) {
		t.Fatalf("removed route answered %q", got)
	}
}

func TestReloadRejectsBrokenSnapshotAndKeepsServing(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	broken := snapshotWith(map[string]*config.Handler{"/x": ipcHandler(t.TempDir(), "x")}, nil)
	broken.DefaultHost = nil // default_host names no host
	if err := ts.srv.Reload(broken); err == nil {
		t.Fatal("a snapshot without its default host was accepted")
	}
	bad := snapshotWith(map[string]*config.Handler{"/x": ipcHandler(t.TempDir(), "x")}, map[string]string{"limits.buffer_size": "3"})
	if err := ts.srv.Reload(bad); err == nil {
		t.Fatal("limits.buffer_size=3 was accepted")
	}
	c := dial(t, ts.addr)
	write(t, c, "GET /handler HTTP/1.1\r\n\r\n")
	if msg := h.recv(); msg.Path != "/handler" {
		t.Fatalf("after rejected reloads the handler got %q", msg.Path)
	}
}

func TestReloadAppliesSettingsToNewRequests(t *testing.T) {
	ts := startTestServer(t, nil)
	h := ts.handler()
	snap := ts.srv.Snapshot()
	next := *snap
	next.Settings = config.ParseSettings(map[string]string{"limits.content_length": "3"})
	if err := ts.srv.Reload(&next); err != nil {
		t.Fatal(err)
	}
	c := dial(t, ts.addr)
	write(t, c, "POST /handler HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd")
	if got := readAll(t, c); got != string(cannedResponses[413]) {
		t.Fatalf("got %q, want 413 under the new limit", got)
	}
	c2 := dial(t, ts.addr)
	write(t, c2, "POST /handler HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
	if msg := h.recv(); string(msg.Body) != "abc" {
		t.Fatalf("body %q", msg.Body)
	}
}

// TestReloadRetireGrace: a handler a reload removed keeps its sockets for
// limits.handler_retire_grace seconds, then is stopped.
func TestReloadRetireGrace(t *testing.T) {
	ts := startTestServer(t, nil)
	ts.handler()
	dir := t.TempDir()
	retiring := func() int {
		ts.srv.reloadMu.Lock()
		defer ts.srv.reloadMu.Unlock()
		return len(ts.srv.retiring)
	}
	grace := map[string]string{"limits.handler_retire_grace": "1"}
	if err := ts.srv.Reload(snapshotWith(map[string]*config.Handler{"/handler": ipcHandler(dir, "second")}, grace)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if n := retiring(); n != 1 {
		t.Fatalf("%d handlers retiring right after the reload, want 1", n)
	}
	for retiring() != 0 {
		if time.Since(start) > 3*time.Second {
			t.Fatal("the retired handler was not stopped after its 1 s grace")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Fatalf("the retired handler was stopped after %v, before its grace", took)
	}
}
