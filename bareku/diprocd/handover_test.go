package diprocd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// switchScript writes a switch_command for the tests: it records each run
// (its argument, uid, type, pids, whether it saw the processes' own
// environment, and the time) in <dir>/switches, unless <dir>/mode says
// "fail" (exit 1) or "hang" (sleep past any switch_timeout).
func switchScript(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "switch.sh")
	script := fmt.Sprintf(`#!/bin/sh
case "$(cat %[1]s/mode 2>/dev/null)" in
fail) echo "front end says no" >&2; exit 1;;
hang) echo $$ > %[1]s/hang.pid; exec sleep 10;;
esac
echo "$1 uid=$(id -u) type=$DIPROCD_TYPE pids=$DIPROCD_PIDS procenv=${DIPROCD_TEST_DIR:-none}" >> %[1]s/switches
echo "switched to $1"
`, dir)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func switches(dir string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "switches"))
	return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
}

// logTimes returns the times of the worker log lines containing msg.
func logTimes(t *testing.T, log, msg string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("worker log line %q: %v", line, err)
		}
		out = append(out, at)
	}
	return out
}

// TestSwitchHandOver reloads a type of two processes that has a
// switch_command: the command runs once for both new processes, after
// both are ready and before either old one is stopped, and the old ones
// are stopped drain_time after it.
func TestSwitchHandOver(t *testing.T) {
	dir := testDir(t)
	sw := switchScript(t, dir)
	web := func(version int) map[string]any {
		return proc(dir, "web", fmt.Sprintf("exec sleep %d", 300+version), map[string]any{
			"count":          2,
			"ready_after":    "100ms",
			"switch_command": []string{"/bin/sh", sw, fmt.Sprintf("v%d", version)},
			"drain_time":     "500ms",
		})
	}
	conf, status := standaloneWorker(t, dir, []any{web(1)})
	pids := func() []int {
		var out []int
		for _, p := range readStatus(status).Procs {
			if p.State == "running" {
				out = append(out, p.PID)
			}
		}
		slices.Sort(out)
		return out
	}
	var old []int
	waitFor(t, 5*time.Second, "web.1 and web.2 running", func() bool {
		old = pids()
		return len(old) == 2
	})
	// Not knowing where the front end points, the first start switches.
	if got := switches(dir); len(got) != 1 || !strings.HasPrefix(got[0], "v1_") {
		t.Fatalf("switches after the first start: %q", got)
	}

	writeJSON(t, conf, map[string]any{"log_file": filepath.Join(dir, "worker.log"), "pid_file": filepath.Join(dir, "worker.pid"), "tick": "20ms", "procs": []any{web(2)}})
	var cur []int
	waitFor(t, 5*time.Second, "two new processes running", func() bool {
		cur = pids()
		if len(switches(dir)) < 2 {
			// Until the switch, the old processes serve and are alive.
			for _, pid := range old {
				if !alive(pid) {
					t.Fatalf("old pid %d gone before the switch", pid)
				}
			}
		}
		return len(cur) == 2 && !slices.Contains(cur, old[0]) && !slices.Contains(cur, old[1])
	})
	got := switches(dir)
	want := fmt.Sprintf("v2_uid=%d_type=web_pids=%d_%d_procenv=none", os.Geteuid(), cur[0], cur[1])
	if len(got) != 2 || got[1] != want {
		t.Errorf("switches %q, want a second one %q", got, want)
	}
	for _, pid := range old {
		if alive(pid) {
			t.Errorf("old pid %d still alive", pid)
		}
	}
	log := standaloneLog(dir)
	switched := logTimes(t, log, "switched, draining the old instances")
	stops := logTimes(t, log, "replacement ready, stopping the old process")
	if len(switched) != 2 || len(stops) != 2 {
		t.Fatalf("%d switches and %d stops logged, want 2 and 2:\n%s", len(switched), len(stops), log)
	}
	for _, s := range stops {
		if d := s.Sub(switched[1]); d < 500*time.Millisecond {
			t.Errorf("an old process was stopped %v after the switch, before drain_time 500ms", d)
		}
	}
	if !strings.Contains(log, `output="switched to v2"`) {
		t.Errorf("the switch_command's output is not in the worker log:\n%s", log)
	}
}

// TestSwitchFailure makes the switch_command time out, then fail: the
// old process keeps serving, the new one waits, the status says
// reload-failed with the reason, and a later success completes the
// reload.
func TestSwitchFailure(t *testing.T) {
	dir := testDir(t)
	sw := switchScript(t, dir)
	api := func(version int) map[string]any {
		return proc(dir, "api", fmt.Sprintf("exec sleep %d", 300+version), map[string]any{
			"ready_after":     "50ms",
			"switch_command":  []string{"/bin/sh", sw, fmt.Sprintf("v%d", version)},
			"switch_timeout":  "300ms",
			"drain_time":      "100ms",
			"backoff_initial": "200ms",
			"backoff_max":     "400ms",
		})
	}
	mode := func(m string) {
		if err := os.WriteFile(filepath.Join(dir, "mode"), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf, status := standaloneWorker(t, dir, []any{api(1)})
	var old int
	waitFor(t, 5*time.Second, "api running", func() bool {
		p, _ := procState(status, "api")
		old = p.PID
		return p.State == "running"
	})

	steps := []struct {
		mode, lastErr string
	}{
		{"hang", "switch_command failed: no answer within switch_timeout 300ms"},
		{"fail", "switch_command failed: exit status 1"},
	}
	for i, st := range steps {
		mode(st.mode)
		if i == 0 {
			writeJSON(t, conf, map[string]any{"log_file": filepath.Join(dir, "worker.log"), "pid_file": filepath.Join(dir, "worker.pid"), "tick": "20ms", "procs": []any{api(2)}})
		}
		waitFor(t, 5*time.Second, "reload-failed: "+st.lastErr, func() bool {
			p, _ := procState(status, "api")
			return p.State == "reload-failed" && p.LastError == st.lastErr
		})
		p, _ := procState(status, "api")
		if p.PID != old || !alive(old) {
			t.Fatalf("%s: status shows pid %d, want the old %d, alive", st.mode, p.PID, old)
		}
		if p.NextStartAt.IsZero() {
			t.Errorf("%s: no retry time in the status", st.mode)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "hang.pid"))
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || alive(pid) {
		t.Errorf("the timed-out switch_command (pid %q) was not killed", b)
	}

	mode("ok")
	waitFor(t, 5*time.Second, "the new api running", func() bool {
		p, _ := procState(status, "api")
		return p.State == "running" && p.PID != old && !alive(old)
	})
	log := standaloneLog(dir)
	for _, want := range []string{"switch_command failed: reload not done", `output="front end says no"`, "switched, draining the old instances"} {
		if !strings.Contains(log, want) {
			t.Errorf("worker log lacks %q:\n%s", want, log)
		}
	}
}

// standaloneLog is the log of a standalone worker.
func standaloneLog(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
	return string(b)
}
