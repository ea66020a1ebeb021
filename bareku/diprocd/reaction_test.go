package diprocd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReactionTime measures how long a change to the master's file takes
// to become a running process on a node: ten changes announced with
// SIGHUP (what `diprocd scale` does), then ten found by the master's
// default 250 ms polling. Each process writes the time it started.
func TestReactionTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing measurement")
	}
	dir := testDir(t)
	ep := ipcEndpoints(dir)
	mconf := filepath.Join(dir, "master.json")
	write := func(i int) {
		script := fmt.Sprintf("date +%%s.%%N > %s/started.%d; exec sleep 300", dir, i)
		cfg := masterFile(dir, ep, map[string]any{"app1": []any{proc(dir, "web", script, map[string]any{"graceful_timeout": "100ms"})}})
		cfg["poll_interval"] = "250ms"
		writeJSON(t, mconf, cfg)
	}
	write(0)
	master := startDaemon(t, "master", "-config", mconf)
	n := newNode(t, dir, "app1", ep)
	n.startWorker(t)
	n.startClient(t)
	waitStart := func(i int) time.Time {
		var ts time.Time
		waitFor(t, 5*time.Second, fmt.Sprintf("process %d started", i), func() bool {
			b, err := os.ReadFile(fmt.Sprintf("%s/started.%d", dir, i))
			if err != nil {
				return false
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			if err != nil {
				return false
			}
			ts = time.Unix(0, int64(v*1e9))
			return true
		})
		return ts
	}
	waitStart(0)
	measure := func(first int, hup bool) time.Duration {
		var ds []time.Duration
		for i := first; i < first+10; i++ {
			// Spread the changes over the polling period.
			time.Sleep(time.Duration(100+37*i%250) * time.Millisecond)
			t0 := time.Now()
			write(i)
			if hup {
				syscall.Kill(master.cmd.Process.Pid, syscall.SIGHUP)
			}
			ds = append(ds, waitStart(i).Sub(t0))
		}
		slices.Sort(ds)
		t.Logf("hup=%v: %v", hup, ds)
		return (ds[4] + ds[5]) / 2
	}
	withHup := measure(1, true)
	polled := measure(11, false)
	t.Logf("reaction time, master change to process running, median of 10: %v with SIGHUP, %v with 250ms polling",
		withHup.Round(100*time.Microsecond), polled.Round(100*time.Microsecond))
	if withHup > time.Second || polled > 2*time.Second {
		t.Errorf("reaction too slow: %v / %v", withHup, polled)
	}
}
