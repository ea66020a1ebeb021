package diprocd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/procfs"
)

// standaloneWorker starts a worker on a configuration written by the test
// (no master, no client) and returns its configuration and status paths.
func standaloneWorker(t *testing.T, dir string, procs []any) (conf, status string) {
	t.Helper()
	conf = filepath.Join(dir, "worker.json")
	writeJSON(t, conf, map[string]any{
		"log_file": filepath.Join(dir, "worker.log"),
		"pid_file": filepath.Join(dir, "worker.pid"),
		"tick":     "20ms",
		"procs":    procs,
	})
	startDaemon(t, "worker", "-config", conf)
	return conf, conf + ".status"
}

func TestCrashBackoff(t *testing.T) {
	dir := testDir(t)
	stamps := filepath.Join(dir, "starts")
	_, status := standaloneWorker(t, dir, []any{proc(dir, "crash", "date +%s.%N >> "+stamps+"; exit 3", map[string]any{
		"backoff_initial": "100ms",
		"backoff_max":     "2s",
		"ready_after":     "50ms",
	})})
	var starts []float64
	seen := map[string]bool{}
	waitFor(t, 6*time.Second, "six starts", func() bool {
		if p, ok := procState(status, "crash"); ok {
			seen[p.State] = true
		}
		b, _ := os.ReadFile(stamps)
		starts = starts[:0]
		for _, f := range strings.Fields(string(b)) {
			v, err := strconv.ParseFloat(f, 64)
			if err == nil {
				starts = append(starts, v)
			}
		}
		return len(starts) >= 6
	})
	// The worker schedules 0.1, 0.2, 0.4, 0.8, 1.6 s (then the 2 s cap)
	// after each exit; the gaps between starts add the time the shell
	// took to run, which a loaded machine stretches.
	var gaps []float64
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i]-starts[i-1])
	}
	t.Logf("gaps between starts: %.3f", gaps)
	want := 0.1
	for i, g := range gaps[:5] {
		if g < want*0.95 || g > want+1 {
			t.Errorf("gap %d is %.3fs, want %.1fs plus the run time", i+1, g, want)
		}
		want *= 2
	}
	log, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
	var delays []string
	for _, line := range strings.Split(string(log), "\n") {
		if _, rest, ok := strings.Cut(line, " restart_in="); ok {
			d, _, _ := strings.Cut(rest, " ")
			delays = append(delays, d)
		}
	}
	if len(delays) < 5 || strings.Join(delays[:5], " ") != "100ms 200ms 400ms 800ms 1.6s" {
		t.Errorf("scheduled delays %v, want 100ms 200ms 400ms 800ms 1.6s", delays)
	}
	if !seen["crashloop"] {
		t.Errorf("states seen %v, want crashloop among them", seen)
	}
	p, _ := procState(status, "crash")
	if p.Restarts < 5 {
		t.Errorf("restarts %d, want at least 5", p.Restarts)
	}
}

func TestStopKillsProcessGroup(t *testing.T) {
	dir := testDir(t)
	// The shell and its children ignore SIGTERM, so only the SIGKILL that
	// follows the graceful timeout ends them.
	stubborn := proc(dir, "stubborn", `trap "" TERM; sleep 300 & sleep 300 & wait`, map[string]any{"graceful_timeout": "500ms"})
	polite := proc(dir, "polite", `sleep 300 & sleep 300 & wait`, nil)
	conf, status := standaloneWorker(t, dir, []any{stubborn, polite})
	var pids = map[string]int{}
	waitFor(t, 3*time.Second, "both running", func() bool {
		for _, n := range []string{"stubborn", "polite"} {
			p, _ := procState(status, n)
			if p.State != "running" {
				return false
			}
			pids[n] = p.PID
		}
		return true
	})
	groups := map[string][]int{}
	for n, pid := range pids {
		groups[n] = groupMembers(pid)
		if len(groups[n]) != 3 {
			t.Fatalf("%s: group %d has %v, want the shell and two sleeps", n, pid, groups[n])
		}
	}
	start := time.Now()
	writeJSON(t, conf, map[string]any{"log_file": filepath.Join(dir, "worker.log"), "pid_file": filepath.Join(dir, "worker.pid"), "tick": "20ms", "procs": []any{}})
	waitFor(t, 4*time.Second, "both groups gone", func() bool {
		return len(groupMembers(pids["stubborn"])) == 0 && len(groupMembers(pids["polite"])) == 0
	})
	took := time.Since(start)
	if took < 450*time.Millisecond {
		t.Errorf("the TERM-ignoring group ended after %v, before its 500ms graceful timeout", took)
	}
	for n, members := range groups {
		sort.Ints(members)
		for _, pid := range members {
			if alive(pid) {
				t.Errorf("%s: pid %d survived the stop", n, pid)
			}
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
	if !strings.Contains(string(log), "killing the process group") || strings.Count(string(log), "killing the process group") != 1 {
		t.Errorf("want exactly one SIGKILL escalation (the stubborn group) in the log:\n%s", log)
	}
}

// TestReadyCommand checks that a reload waits for the ready command: the
// old process keeps running until the file the command looks for exists.
func TestReadyCommand(t *testing.T) {
	dir := testDir(t)
	flag := filepath.Join(dir, "ready")
	mk := func(arg string) map[string]any {
		return proc(dir, "svc", "exec sleep "+arg, map[string]any{
			"ready_after":   "10ms",
			"ready_command": []string{"/usr/bin/test", "-e", flag},
			"ready_timeout": "10s",
		})
	}
	os.WriteFile(flag, nil, 0o644)
	conf, status := standaloneWorker(t, dir, []any{mk("300")})
	var old int
	waitFor(t, 3*time.Second, "svc running", func() bool {
		p, _ := procState(status, "svc")
		old = p.PID
		return p.State == "running"
	})
	os.Remove(flag)
	writeJSON(t, conf, map[string]any{"log_file": filepath.Join(dir, "worker.log"), "tick": "20ms", "procs": []any{mk("301")}})
	waitFor(t, 3*time.Second, "svc reloading", func() bool {
		p, _ := procState(status, "svc")
		return p.State == "reloading"
	})
	time.Sleep(500 * time.Millisecond)
	if p, _ := procState(status, "svc"); p.State != "reloading" || p.PID != old || !alive(old) {
		t.Fatalf("before the ready command passes: %s pid %d, want reloading with old pid %d alive", p.State, p.PID, old)
	}
	os.WriteFile(flag, nil, 0o644)
	waitFor(t, 3*time.Second, "new svc running and old gone", func() bool {
		p, _ := procState(status, "svc")
		return p.State == "running" && p.PID != old && !alive(old)
	})
}

// TestReusedPidNotAdopted gives a new worker a state file whose pid now
// belongs to another process (same pid, other start time): the worker
// must neither adopt nor signal it, and must start its own process.
func TestReusedPidNotAdopted(t *testing.T) {
	dir := testDir(t)
	stranger := exec.Command("/bin/sleep", "300")
	stranger.Env = []string{"DIPROCD_TEST_DIR=" + dir}
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stranger.Process.Kill(); stranger.Wait() }()
	st, err := procfs.ReadStat(stranger.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	boot, _ := procfs.BootID()
	conf := filepath.Join(dir, "worker.json")
	writeJSON(t, conf+".state", map[string]any{
		"boot_id": boot,
		"procs": []any{map[string]any{
			"name": "web", "role": "cur", "pid": stranger.Process.Pid, "start": st.StartTime - 1,
			"started_at": time.Now(), "hash": "x", "ready": true,
			"spec": map[string]any{"name": "web", "command": "/bin/sleep", "stop_signal": "KILL", "graceful_timeout": "1s"},
		}},
	})
	_, status := standaloneWorker(t, dir, []any{proc(dir, "web", "exec sleep 300", nil)})
	var pid int
	waitFor(t, 3*time.Second, "web running", func() bool {
		p, _ := procState(status, "web")
		pid = p.PID
		return p.State == "running"
	})
	if pid == stranger.Process.Pid {
		t.Fatal("the worker adopted a process that only shares the recorded pid")
	}
	if !alive(stranger.Process.Pid) {
		t.Fatal("the worker killed a process that only shares the recorded pid")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
	if !strings.Contains(string(log), "not re-adopting") {
		t.Errorf("log does not say why it did not adopt:\n%s", log)
	}
}
