package master

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/proto"
)

func writeConf(t *testing.T, path, nodes string) {
	t.Helper()
	conf := `{"master_updates": "ipc:///nonexistent/u", "master_stats": "ipc:///nonexistent/s", "node_timeout": "1s", "nodes": ` + nodes + `}`
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ask(t *testing.T, m *Master, req proto.Request, now time.Time) proto.Reply {
	t.Helper()
	b, _ := json.Marshal(req)
	return m.Handle(b, now)
}

func TestVersions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.json")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	writeConf(t, path, `{"app1": [{"name": "web", "command": "x", "count": 2}], "app10": []}`)
	m, err := New(path, log)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r := ask(t, m, proto.Request{Op: proto.OpSnapshot, Node: "app1"}, now)
	if r.Update == nil || r.Update.Version != 1 || len(r.Update.Procs) != 2 || r.Update.Procs[1].Name != "web.2" {
		t.Fatalf("snapshot: %+v", r)
	}
	if r := ask(t, m, proto.Request{Op: proto.OpSnapshot, Node: "app2"}, now); r.Error == "" {
		t.Error("snapshot of an unknown node did not fail")
	}
	if r := ask(t, m, proto.Request{Op: "reboot"}, now); r.Error == "" {
		t.Error("unknown op did not fail")
	}

	// A change to app1 bumps app1 only.
	writeConf(t, path, `{"app1": [{"name": "web", "command": "x", "count": 3}], "app10": []}`)
	m.stamp = fileStamp{}
	if changed := m.checkFile(); len(changed) != 1 || changed[0] != "app1" {
		t.Fatalf("changed = %v, want [app1]", changed)
	}
	m.stamp = fileStamp{}
	if changed := m.checkFile(); len(changed) != 0 {
		t.Fatalf("re-reading an unchanged file changed %v", changed)
	}
	// A bad file is ignored.
	os.WriteFile(path, []byte(`{"nodes": 1}`), 0o644)
	m.stamp = fileStamp{}
	if changed := m.checkFile(); len(changed) != 0 {
		t.Fatalf("a bad file changed %v", changed)
	}

	// Versions survive a restart of the master.
	writeConf(t, path, `{"app1": [{"name": "web", "command": "x", "count": 3}], "app10": []}`)
	m2, err := New(path, log)
	if err != nil {
		t.Fatal(err)
	}
	r = ask(t, m2, proto.Request{Op: proto.OpSnapshot, Node: "app1"}, now)
	if r.Update == nil || r.Update.Version != 2 {
		t.Fatalf("after restart: %+v, want version 2", r.Update)
	}
	r = ask(t, m2, proto.Request{Op: proto.OpSnapshot, Node: "app10"}, now)
	if r.Update == nil || r.Update.Version != 1 || r.Update.Procs == nil {
		t.Fatalf("app10 after restart: %+v, want version 1 with an empty list", r.Update)
	}
}

func TestStatus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.json")
	writeConf(t, path, `{"app1": [{"name": "web", "command": "x"}], "app10": []}`)
	m, err := New(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m.nodes["app1"].hb = &proto.Heartbeat{Node: "app1", Version: 1, WorkerAlive: true, Procs: []proto.ProcStatus{{Name: "web", State: "running", PID: 5}}}
	m.nodes["app1"].lastHB = now.Add(-500 * time.Millisecond)
	st := ask(t, m, proto.Request{Op: proto.OpStatus}, now).Status
	if st == nil || len(st.Nodes) != 2 {
		t.Fatalf("status: %+v", st)
	}
	if n := st.Nodes[0]; n.Name != "app1" || n.State != proto.NodeUp || n.Applied != 1 || len(n.Procs) != 1 || n.Desired[0] != "web" {
		t.Errorf("app1: %+v", n)
	}
	if n := st.Nodes[1]; n.Name != "app10" || n.State != proto.NodeOffline {
		t.Errorf("app10: %+v", n)
	}
	st = ask(t, m, proto.Request{Op: proto.OpStatus}, now.Add(2*time.Second)).Status
	if st.Nodes[0].State != proto.NodeDown {
		t.Errorf("app1 after 2.5s without heartbeat: %s, want down", st.Nodes[0].State)
	}
}
