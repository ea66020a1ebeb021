package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/integration/harness"
)

// runningMarker ends the error-log line that ends start-up (spec §10.1 step
// 8). Mongrel2 writes "-- Mongrel2/1.12.2 Running. Copyright (C) Zed A.
// Shaw. Licensed BSD.", Bareku "-- Bareku (Mongrel2/1.12.2 compatible)
// Running. addr=... uuid=..."; scripts that wait for start-up look for the
// " Running." both contain.
const runningMarker = " Running."

// errorLogLine is the error-log line shape of spec §10.2: an RFC 1123 GMT
// date, then a level part.
var errorLogLine = regexp.MustCompile(`^([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT) (\[(INFO|WARN|ERROR)\] |DEBUG )`)

// waitFor polls cond every 10 ms for up to 5 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestStartStop covers a foreground start without chroot and a SIGTERM
// shutdown (spec §10.1, §10.2, §10.4): the PID file holds the decimal pid
// without a newline, the error log gets dated lines ending start-up with the
// Running marker, and SIGTERM exits 0 and removes the PID file.
func TestStartStop(t *testing.T) {
	compareImpls(t, serverImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		s := harness.Start(t, impl, basicConfig())
		pidFile := filepath.Join(s.Dir, "run", "mongrel2.pid")
		if !waitFor(func() bool { return strings.Contains(s.ErrorLog(), runningMarker) }) {
			t.Errorf("error log never got %q:\n%s", runningMarker, s.ErrorLog())
		}
		pid, err := os.ReadFile(pidFile)
		if string(pid) != strconv.Itoa(s.Pid()) {
			t.Errorf("pid file holds %q (%v), want %q", pid, err, strconv.Itoa(s.Pid()))
		}
		now := time.Now().UTC()
		for _, line := range strings.Split(strings.TrimRight(s.ErrorLog(), "\n"), "\n") {
			m := errorLogLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("error log line not in the §10.2 format: %q", line)
				continue
			}
			if at, err := time.Parse(time.RFC1123, m[1]); err != nil || at.Sub(now).Abs() > time.Minute {
				t.Errorf("error log date %q is not now (%v) in GMT: %v", m[1], now, err)
			}
		}
		s.Stop()
		code, _ := s.Wait(0)
		_, err = os.Stat(pidFile)
		o.fact("exit code after SIGTERM", code)
		o.fact("pid file left", err == nil)
		if code != 0 || err == nil {
			t.Errorf("after SIGTERM: exit code %d, pid file stat error %v; want 0 and the file removed", code, err)
		}
	})
}

// TestStartFailures covers refusals to start (spec §10.1): bad usage, an
// unknown server uuid, and a PID file naming a live process all exit 1; a
// stale PID file is replaced.
func TestStartFailures(t *testing.T) {
	compareImpls(t, serverImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		for _, tc := range []struct {
			name    string
			args    []string
			pidFile string // written to run/mongrel2.pid before the start
		}{
			{"no arguments", nil, ""},
			{"database only", []string{"config.sqlite"}, ""},
			{"unknown uuid", []string{"config.sqlite", "00000000-0000-0000-0000-000000000000"}, ""},
			{"live pid file", []string{"config.sqlite", harness.ServerUUID}, strconv.Itoa(os.Getpid())},
		} {
			s := harness.Prepare(t, impl, basicConfig())
			if tc.pidFile != "" {
				if err := os.WriteFile(filepath.Join(s.Dir, "run", "mongrel2.pid"), []byte(tc.pidFile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s.Spawn(t, tc.args...)
			code, exited := s.Wait(5 * time.Second)
			o.fact(tc.name, code)
			if !exited || code != 1 {
				t.Errorf("%s: exited=%v code=%d, want exit 1", tc.name, exited, code)
			}
			s.Stop()
		}

		s := harness.Prepare(t, impl, basicConfig())
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		pidFile := filepath.Join(s.Dir, "run", "mongrel2.pid")
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		s.Run(t)
		ok := waitFor(func() bool {
			pid, _ := os.ReadFile(pidFile)
			return string(pid) == strconv.Itoa(s.Pid())
		})
		o.fact("stale pid file replaced", ok)
		if !ok {
			pid, _ := os.ReadFile(pidFile)
			t.Errorf("stale pid file: holds %q, want the new pid %d", pid, s.Pid())
		}
	})
}
