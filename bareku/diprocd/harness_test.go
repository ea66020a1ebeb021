package diprocd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd"
	"github.com/bareku/bareku/bareku/diprocd/proto"
)

// The integration tests run diprocd's daemons as separate processes by
// re-executing the test binary with this variable set.
const execEnv = "DIPROCD_TEST_EXEC"

func TestMain(m *testing.M) {
	if os.Getenv(execEnv) == "1" {
		os.Exit(diprocd.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// daemon is one diprocd process started by a test.
type daemon struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startDaemon runs `diprocd <args>` in its own process group; the test's
// cleanup kills the group.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), execEnv+"=1")
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, out: out}
	t.Cleanup(func() {
		d.kill(syscall.SIGKILL)
		if t.Failed() && d.out.Len() > 0 {
			t.Logf("--- diprocd %v output:\n%s", args, d.out)
		}
	})
	return d
}

// kill signals the daemon and waits for it.
func (d *daemon) kill(sig syscall.Signal) {
	if d.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-d.cmd.Process.Pid, sig)
	d.cmd.Wait()
}

// runDiprocd runs one short diprocd command and returns its output.
func runDiprocd(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), execEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("diprocd %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// testDir is a temporary directory the managed processes (run as nobody)
// can write to.
func testDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir's parent is private to root; nobody needs to get through.
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		killMarked(dir)
		if t.Failed() {
			dumpLogs(t, dir)
		}
	})
	return dir
}

// killMarked kills the process group of every process whose environment
// holds DIPROCD_TEST_DIR=dir: what the workers started for this test. A
// worker killed between fork and exec leaves a child that only shows the
// marker once it has exec'd, so the sweep repeats until one finds nothing.
func killMarked(dir string) {
	for i := 0; i < 10 && killMarkedOnce(dir) > 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

func killMarkedOnce(dir string) int {
	found := 0
	marker := []byte("DIPROCD_TEST_DIR=" + dir + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err == nil && bytes.Contains(env, marker) {
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
			found++
		}
	}
	return found
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 20 ms until it returns true or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readStatus(path string) proto.WorkerStatus {
	var ws proto.WorkerStatus
	b, err := os.ReadFile(path)
	if err == nil {
		json.Unmarshal(b, &ws)
	}
	return ws
}

// procState returns the named process's status from a worker status file.
func procState(statusFile, name string) (proto.ProcStatus, bool) {
	for _, p := range readStatus(statusFile).Procs {
		if p.Name == name {
			return p, true
		}
	}
	return proto.ProcStatus{}, false
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// groupMembers lists live processes in process group pgid.
func groupMembers(pgid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}

func uidOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// node is one app node of a test: a worker and a client.
type node struct {
	name       string
	dir        string
	workerConf string
	statusFile string
	clientConf string
	worker     *daemon
	client     *daemon
}

func newNode(t *testing.T, dir, name string, m endpoints) *node {
	t.Helper()
	nd := filepath.Join(dir, name)
	if err := os.MkdirAll(nd, 0o755); err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, dir: nd, workerConf: filepath.Join(nd, "worker.json"), statusFile: filepath.Join(nd, "worker.json.status"), clientConf: filepath.Join(nd, "client.json")}
	writeJSON(t, n.workerConf, map[string]any{
		"pid_file": filepath.Join(nd, "worker.pid"),
		"log_file": filepath.Join(nd, "worker.log"),
		"log_dir":  nd,
		"tick":     "50ms",
		"procs":    []any{},
	})
	client := map[string]any{
		"master_updates":     m.updates,
		"master_stats":       m.stats,
		"node_name":          name,
		"conf_file":          n.workerConf,
		"log_file":           filepath.Join(nd, "client.log"),
		"pid_file":           filepath.Join(nd, "client.pid"),
		"heartbeat_interval": "300ms",
	}
	if m.control != "" {
		client["master_control"] = m.control
	}
	writeJSON(t, n.clientConf, client)
	return n
}

func (n *node) startWorker(t *testing.T) {
	n.worker = startDaemon(t, "worker", "-config", n.workerConf)
}
func (n *node) startClient(t *testing.T) {
	n.client = startDaemon(t, "client", "-config", n.clientConf)
}

func (n *node) workerLog() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "worker.log"))
	return string(b)
}

type endpoints struct{ updates, stats, control string }

func ipcEndpoints(dir string) endpoints {
	return endpoints{
		updates: "ipc://" + filepath.Join(dir, "updates"),
		stats:   "ipc://" + filepath.Join(dir, "stats"),
		control: "ipc://" + filepath.Join(dir, "control"),
	}
}

// dumpLogs prints the daemons' logs of a failed test.
func dumpLogs(t *testing.T, dir string) {
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".log") && !strings.Contains(filepath.Base(path), ".") || strings.HasSuffix(path, "master.log") || strings.HasSuffix(path, "worker.log") || strings.HasSuffix(path, "client.log")) {
			b, _ := os.ReadFile(path)
			t.Logf("--- %s\n%s", path, b)
		}
		return nil
	})
}
