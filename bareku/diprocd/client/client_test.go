package client

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

func TestApply(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "worker.json")
	pidFile := filepath.Join(dir, "worker.pid")
	// The operator's keys must survive the client's rewrites.
	os.WriteFile(conf, []byte(`{"pid_file": "`+pidFile+`", "log_dir": "/var/log/x", "tick": "1s", "procs": []}`), 0o644)
	os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	hup := make(chan os.Signal, 4)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	c := New(&spec.Client{NodeName: "app1", ConfFile: conf}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	web := spec.Proc{Name: "web.1", Type: "web", Command: "/srv/web", Env: map[string]string{"SECRET": "s"}}
	steps := []struct {
		version int64
		procs   []spec.Proc
		applied bool
		want    int64
	}{
		{2, []spec.Proc{web}, true, 2},
		{2, nil, false, 2}, // same version again: ignored
		{1, nil, false, 2}, // older: ignored
		{5, nil, true, 5},  // newer, empty list
	}
	for _, s := range steps {
		if got := c.apply(proto.Update{Node: "app1", Version: s.version, Procs: s.procs}); got != s.applied {
			t.Fatalf("apply v%d = %v, want %v", s.version, got, s.applied)
		}
		w, err := spec.LoadWorker(conf)
		if err != nil {
			t.Fatal(err)
		}
		if w.Version != s.want || w.Node != "app1" || w.LogDir != "/var/log/x" || w.Tick.D() != time.Second || w.PidFile != pidFile {
			t.Fatalf("after v%d: %+v", s.version, w)
		}
		if s.applied {
			select {
			case <-hup:
			case <-time.After(2 * time.Second):
				t.Fatal("worker not woken with SIGHUP")
			}
		}
	}
	if fi, _ := os.Stat(conf); fi.Mode().Perm() != 0o600 {
		t.Errorf("worker file mode %v, want 0600 (env may hold secrets)", fi.Mode().Perm())
	}
	// A restarted client starts from the version in the file.
	if c2 := New(&spec.Client{NodeName: "app1", ConfFile: conf}, c.log); c2.applied != 5 {
		t.Errorf("restarted client at version %d, want 5", c2.applied)
	}
	if c3 := New(&spec.Client{NodeName: "app2", ConfFile: conf}, c.log); c3.applied != 0 {
		t.Errorf("a client for another node starts at %d, want 0", c3.applied)
	}
}

func TestApplyRefusesBadList(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "worker.json")
	c := New(&spec.Client{NodeName: "app1", ConfFile: conf}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bad := proto.Update{Node: "app1", Version: 3, Procs: []spec.Proc{{Name: "web", Command: ""}}}
	if c.apply(bad) {
		t.Fatal("a list the worker would reject was applied")
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("worker file written: %v", err)
	}
}

func TestHeartbeatEnrichesFromProc(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "worker.json")
	os.WriteFile(conf, []byte(`{"procs": []}`), 0o644)
	now := time.Now()
	ws := proto.WorkerStatus{PID: os.Getpid(), UpdatedAt: now, Procs: []proto.ProcStatus{
		{Name: "self", State: "running", PID: os.Getpid(), StartedAt: now.Add(-10 * time.Second)},
		{Name: "crash", State: "crashloop", NextStartAt: now.Add(3 * time.Second)},
	}}
	b, _ := json.Marshal(ws)
	os.WriteFile(conf+".status", b, 0o644)
	c := New(&spec.Client{NodeName: "app1", ConfFile: conf}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	hb := c.buildHeartbeat(now)
	if !hb.WorkerAlive || hb.WorkerPID != os.Getpid() || len(hb.Procs) != 2 {
		t.Fatalf("%+v", hb)
	}
	self, crash := hb.Procs[0], hb.Procs[1]
	if self.RSSBytes <= 0 || self.UptimeSec < 9.9 || self.CPUSeconds < 0 {
		t.Errorf("self: %+v", self)
	}
	if crash.NextStartIn < 2.9 || crash.NextStartIn > 3.1 {
		t.Errorf("crash: next start in %v, want 3", crash.NextStartIn)
	}
	// A stale status file means the worker is gone.
	ws.UpdatedAt = now.Add(-time.Minute)
	b, _ = json.Marshal(ws)
	os.WriteFile(conf+".status", b, 0o644)
	if hb := c.buildHeartbeat(now); hb.WorkerAlive {
		t.Error("a worker that stopped writing its status counts as alive")
	}
}
