package m2sh

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run real servers, Debian's mongrel2 1.12.2 and this
// project's, on loopback ports, and drive them with m2sh. Every server is
// started behind `timeout`, and killed when the test ends.

// buildOurServer builds cmd/mongrel2 into a temporary directory.
func buildOurServer(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "mongrel2")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/bareku/bareku/cmd/mongrel2").CombinedOutput()
	if err != nil {
		t.Fatalf("build mongrel2: %v\n%s", err, out)
	}
	return bin
}

// serverBinaries are the servers to test against, by name.
func serverBinaries(t *testing.T) map[string]func(*testing.T) string {
	return map[string]func(*testing.T) string{
		"mongrel2-1.12.2": func(t *testing.T) string {
			const p = "/usr/bin/mongrel2"
			if _, err := os.Stat(p); err != nil {
				t.Skip("mongrel2 1.12.2 is not installed at " + p)
			}
			return p
		},
		"ours": buildOurServer,
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serverConf is a Server(...) in the foreground-friendly shape both
// servers accept: no chroot (paths relative to the working directory)
// unless chroot is given.
func serverConf(name, uuid, chroot, controlPort string, port int) string {
	cp := ""
	if controlPort != "" {
		cp = fmt.Sprintf("control_port=%q,", controlPort)
	}
	pid, logs := "run/"+name+".pid", "logs/"+name
	if chroot != "" {
		pid, logs = "/"+pid, "/"+logs
	}
	return fmt.Sprintf(`%s = Server(uuid=%q, access_log="%s.access", error_log="%s.error",
    chroot=%q, pid_file=%q, default_host="localhost", name=%q, port=%d, bind_addr="127.0.0.1", %s
    hosts=[Host(name="localhost", routes={'/': Dir(base='static/', index_file='index.html', default_ctype='text/plain')})])
`, name, uuid, logs, logs, chroot, pid, name, port, cp)
}

// setupServerDir writes and loads a config of the given servers in a new
// working directory.
func setupServerDir(t *testing.T, servers []string, names ...string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"run", "logs", "static"} {
		os.Mkdir(d, 0o755)
	}
	conf := strings.Join(servers, "\n") + "settings = {\"server.daemonize\": 0}\nservers = [" + strings.Join(names, ", ") + "]\n"
	os.WriteFile("m.conf", []byte(conf), 0o644)
	if rc, _, stderr := runOurs("", "load", "-config", "m.conf", "-db", "c.sqlite"); rc != 0 {
		t.Fatalf("load: %s", stderr)
	}
	t.Cleanup(func() { killPidFiles(dir) })
}

// killPidFiles kills what the pid files under dir name.
func killPidFiles(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "run", "*.pid"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if pid := atoi(string(data)); pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// waitPids waits until each pid file holds a live pid and returns them.
func waitPids(t *testing.T, files ...string) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	pids := make([]int, len(files))
	for i, f := range files {
		for {
			data, _ := os.ReadFile(f)
			if pids[i] = atoi(string(data)); pids[i] > 1 && syscall.Kill(pids[i], 0) == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no server wrote %s", f)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return pids
}

// TestServerLifecycle starts two servers with one `start -every`, checks
// them with running, talks to one through its control_port, reloads and
// stops them all: what m2sh 1.12.2 cannot do with more than one server.
func TestServerLifecycle(t *testing.T) {
	for name, bin := range serverBinaries(t) {
		t.Run(name, func(t *testing.T) {
			server := bin(t)
			setupServerDir(t, []string{
				serverConf("a", "aaaaaaaa-0000-4000-8000-000000000001", "", "ipc://run/a.control", freePort(t)),
				serverConf("b", "bbbbbbbb-0000-4000-8000-000000000002", "", "ipc://run/b.control", freePort(t)),
			}, "a", "b")

			var startOut, startErr bytes.Buffer
			s := newSession(&startOut, &startErr)
			s.stdin = strings.NewReader("")
			s.findServer = func() (string, error) { return server, nil }
			started := make(chan int, 1)
			go func() { started <- s.run([]string{"start", "-db", "c.sqlite", "-every", "-sudo", "timeout 30"}) }()
			pids := waitPids(t, "run/a.pid", "run/b.pid")

			want := fmt.Sprintf("mongrel2 at PID %d running.\nmongrel2 at PID %d running.\n", pids[0], pids[1])
			if rc, out, errOut := runOurs("", "running", "-db", "c.sqlite", "-every"); rc != 0 || out != want {
				t.Errorf("running: rc %d, stdout %q, stderr %q", rc, out, errOut)
			}

			rc, out, errOut := runOurs("uuid\ninfo\nbogus\n", "control", "-db", "c.sqlite", "-name", "b")
			if rc != 0 || !strings.HasPrefix(out, "uuid:  bbbbbbbb-0000-4000-8000-000000000002\nport:  ") ||
				!strings.HasSuffix(out, "ERROR: Callback requested was not found.\n") ||
				!strings.Contains(errOut, "[INFO] Connecting to control port ipc://run/b.control\n") {
				t.Errorf("control: rc %d\nstdout %q\nstderr %q", rc, out, errOut)
			}

			if rc, _, errOut := runOurs("", "reload", "-db", "c.sqlite", "-every"); rc != 0 {
				t.Errorf("reload: rc %d, stderr %q", rc, errOut)
			}
			time.Sleep(200 * time.Millisecond)
			for _, pid := range pids {
				if syscall.Kill(pid, 0) != nil {
					t.Errorf("server %d did not survive SIGHUP", pid)
				}
			}

			if rc, _, errOut := runOurs("", "stop", "-db", "c.sqlite", "-every"); rc != 0 {
				t.Errorf("stop: rc %d, stderr %q", rc, errOut)
			}
			select {
			case rc := <-started:
				if rc != 0 {
					t.Errorf("start: rc %d, stderr %q", rc, startErr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the servers did not stop")
			}
			want = "mongrel2 is not running because pid_file isn't there.\nmongrel2 is not running because pid_file isn't there.\n"
			if rc, out, _ := runOurs("", "running", "-db", "c.sqlite", "-every"); rc != 0 || out != want {
				t.Errorf("running after stop: rc %d, stdout %q", rc, out)
			}
		})
	}
}

// TestControlMatchesM2sh runs the same control session through m2sh
// 1.12.2 and this package against Mongrel2 1.12.2, at the one endpoint the
// original can reach: ipc://<chroot>/run/control.
func TestControlMatchesM2sh(t *testing.T) {
	needOracle(t)
	server := serverBinaries(t)["mongrel2-1.12.2"](t)
	if os.Geteuid() != 0 {
		t.Skip("mongrel2 1.12.2 chroots only as root")
	}
	setupServerDir(t, []string{serverConf("main", "f400bf85-4538-4f7a-8908-000000000001", "./", "", freePort(t))}, "main")
	dir, _ := os.Getwd()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, server, "c.sqlite", "f400bf85-4538-4f7a-8908-000000000001")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	waitPids(t, "run/main.pid")

	session := "info\nhelp\nuuid\nstatus what=net\nstatus  what=net\nkill id=abc\nkill id=12x\nkill id=99999999999999999999\n" +
		"bogus\n\nstatus what=x\nuuid a=1 b=2\nkill\n"
	compareWithReal(t, dir, session, "control", "-db", "c.sqlite", "-name", "main")

	if rc, _, errOut := runOurs("", "stop", "-db", "c.sqlite", "-name", "main"); rc != 0 {
		t.Errorf("stop: rc %d, stderr %q", rc, errOut)
	}
	select {
	case <-done:
		done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Error("mongrel2 did not stop")
	}
	if _, err := os.Stat("run/main.pid"); err == nil {
		t.Error("the pid file is still there")
	}
}
