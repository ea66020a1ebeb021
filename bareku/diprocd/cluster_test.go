package diprocd_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/spec"
)

// proc is a process type for a test's master file. Every process carries
// the test directory in its environment so cleanup can find it.
func proc(dir, name, script string, extra map[string]any) map[string]any {
	p := map[string]any{
		"name":             name,
		"command":          "/bin/sh",
		"args":             []string{"-c", script},
		"env":              map[string]string{"DIPROCD_TEST_DIR": dir},
		"ready_after":      "300ms",
		"graceful_timeout": "2s",
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func masterFile(dir string, ep endpoints, nodes map[string]any) map[string]any {
	return map[string]any{
		"master_updates":     ep.updates,
		"master_stats":       ep.stats,
		"master_control":     ep.control,
		"pid_file":           filepath.Join(dir, "master.pid"),
		"log_file":           filepath.Join(dir, "master.log"),
		"poll_interval":      "50ms",
		"republish_interval": "1h", // only changes, snapshots and lagging clients publish
		"node_timeout":       "1s",
		"nodes":              nodes,
	}
}

func workerVersion(t *testing.T, conf string) (int64, []string) {
	t.Helper()
	w, err := spec.LoadWorker(conf)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range w.Procs {
		names = append(names, p.Name)
	}
	return w.Version, names
}

// TestCluster runs a master, two clients and two workers as separate
// processes, for nodes app1 and app10 (a prefix pair).
func TestCluster(t *testing.T) {
	dir := testDir(t)
	ep := ipcEndpoints(dir)
	mconf := filepath.Join(dir, "master.json")
	nodes := map[string]any{
		"app1":   []any{proc(dir, "web", "exec sleep 300", map[string]any{"count": 1})},
		"app10":  []any{proc(dir, "bg", "exec sleep 301", nil)},
		"app100": []any{proc(dir, "cron", "exec sleep 304", nil)},
	}
	writeJSON(t, mconf, masterFile(dir, ep, nodes))
	startDaemon(t, "master", "-config", mconf)
	app1, app10 := newNode(t, dir, "app1", ep), newNode(t, dir, "app10", ep)
	app1.startWorker(t)
	app1.startClient(t)
	app10.startWorker(t)

	waitFor(t, 5*time.Second, "app1 web.1 running", func() bool {
		p, _ := procState(app1.statusFile, "web.1")
		return p.State == "running"
	})
	web1, _ := procState(app1.statusFile, "web.1")
	if uid := uidOf(web1.PID); uid != "65534" {
		t.Errorf("web.1 runs as uid %q, want nobody (65534)", uid)
	}

	top := t // daemons started in subtests live as long as the whole test
	t.Run("late client converges without a change", func(t *testing.T) {
		time.Sleep(300 * time.Millisecond) // the master published long before
		start := time.Now()
		app10.startClient(top)
		waitFor(t, 3*time.Second, "app10 at version 1", func() bool {
			v, _ := workerVersion(t, app10.workerConf)
			return v == 1
		})
		t.Logf("late client converged in %v", time.Since(start).Round(time.Millisecond))
		waitFor(t, 3*time.Second, "app10 bg running", func() bool {
			p, _ := procState(app10.statusFile, "bg")
			return p.State == "running"
		})
		if v, names := workerVersion(t, app10.workerConf); v != 1 || !reflect.DeepEqual(names, []string{"bg"}) {
			t.Errorf("app10 has version %d %v, want 1 [bg]", v, names)
		}
	})

	t.Run("late client without the snapshot endpoint converges", func(t *testing.T) {
		// Its first heartbeat reports version 0, and the master answers
		// by publishing the node's list again.
		app100 := newNode(t, dir, "app100", endpoints{updates: ep.updates, stats: ep.stats})
		app100.startWorker(top)
		start := time.Now()
		app100.startClient(top)
		waitFor(t, 3*time.Second, "app100 at version 1", func() bool {
			v, names := workerVersion(t, app100.workerConf)
			return v == 1 && reflect.DeepEqual(names, []string{"cron"})
		})
		t.Logf("converged in %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("a change reaches its node only", func(t *testing.T) {
		before, _ := os.ReadFile(app10.workerConf)
		nodes["app1"] = []any{proc(dir, "web", "exec sleep 302", map[string]any{"count": 2})}
		writeJSON(t, mconf, masterFile(dir, ep, nodes))
		waitFor(t, 5*time.Second, "app1 at version 2", func() bool {
			v, names := workerVersion(t, app1.workerConf)
			return v == 2 && reflect.DeepEqual(names, []string{"web.1", "web.2"})
		})
		// web.1 is reloaded: the old process serves until the new one is
		// ready, and only then is stopped.
		waitFor(t, 5*time.Second, "web.1 reloading", func() bool {
			p, _ := procState(app1.statusFile, "web.1")
			return p.State == "reloading" || p.PID != web1.PID
		})
		// Liveness first, then the state: the worker writes its status
		// after the step that stops the old process, so a dead old process
		// with the slot still "reloading" afterwards means it was stopped
		// too early.
		oldAlive := alive(web1.PID)
		if p, _ := procState(app1.statusFile, "web.1"); p.State == "reloading" && !oldAlive {
			t.Errorf("old web.1 (pid %d) died before its replacement was ready", web1.PID)
		}
		waitFor(t, 5*time.Second, "web.1 and web.2 running", func() bool {
			p1, _ := procState(app1.statusFile, "web.1")
			p2, _ := procState(app1.statusFile, "web.2")
			return p1.State == "running" && p1.PID != web1.PID && p2.State == "running"
		})
		waitFor(t, 3*time.Second, "old web.1 gone", func() bool { return !alive(web1.PID) })
		time.Sleep(500 * time.Millisecond) // would app10 get app1's list, it would be there by now
		if after, _ := os.ReadFile(app10.workerConf); string(after) != string(before) {
			t.Errorf("app10's worker file changed on app1's update:\n%s", after)
		}

		// And the other way round.
		before, _ = os.ReadFile(app1.workerConf)
		nodes["app10"] = []any{proc(dir, "bg", "exec sleep 303", nil)}
		writeJSON(t, mconf, masterFile(dir, ep, nodes))
		waitFor(t, 5*time.Second, "app10 at version 2", func() bool {
			v, _ := workerVersion(t, app10.workerConf)
			return v == 2
		})
		time.Sleep(500 * time.Millisecond)
		if after, _ := os.ReadFile(app1.workerConf); string(after) != string(before) {
			t.Errorf("app1's worker file changed on app10's update")
		}
	})

	t.Run("status", func(t *testing.T) {
		waitFor(t, 3*time.Second, "heartbeats with version 2", func() bool {
			out := runDiprocd(t, "status", "-config", mconf)
			return strings.Count(out, "(applied 2)") == 2
		})
		out := runDiprocd(t, "status", "-config", mconf)
		for _, want := range []string{"app1 ", "app10 ", " up ", "web.1", "web.2", "bg", "running", "worker up", "rss "} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
		t.Logf("status:\n%s", out)
	})

	t.Run("worker killed and restarted re-adopts", func(t *testing.T) {
		pids := map[string]int{}
		for _, name := range []string{"web.1", "web.2"} {
			p, _ := procState(app1.statusFile, name)
			pids[name] = p.PID
		}
		app1.worker.kill(syscall.SIGKILL)
		time.Sleep(300 * time.Millisecond)
		for name, pid := range pids {
			if !alive(pid) {
				t.Fatalf("%s (pid %d) died with its worker", name, pid)
			}
		}
		app1.startWorker(top)
		waitFor(t, 3*time.Second, "re-adoption", func() bool {
			return strings.Count(app1.workerLog(), "msg=re-adopted") >= 2
		})
		time.Sleep(500 * time.Millisecond)
		for name, pid := range pids {
			p, _ := procState(app1.statusFile, name)
			if p.PID != pid || p.State != "running" || !alive(pid) {
				t.Errorf("%s: after restart %s pid %d, want running pid %d", name, p.State, p.PID, pid)
			}
		}
		if n := strings.Count(app1.workerLog(), "msg=started"); n != 3 {
			t.Errorf("worker log shows %d starts, want 3 (web.1, new web.1, web.2)", n)
		}
	})

	t.Run("node down", func(t *testing.T) {
		app10.client.kill(syscall.SIGTERM)
		waitFor(t, 4*time.Second, "app10 down", func() bool {
			out := runDiprocd(t, "status", "-config", mconf)
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "app10 ") {
					return strings.Contains(line, " down ")
				}
			}
			return false
		})
	})
}
