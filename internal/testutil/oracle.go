package testutil

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Debian's Mongrel2 1.12.2, the oracle of the differential tests.
const (
	Mongrel2 = "/usr/bin/mongrel2"
	M2sh     = "/usr/bin/m2sh"
)

// FreePort asks the kernel for a free loopback port.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartMongrel2 writes conf as mongrel2.conf in dir (with logs/ and run/),
// loads it with Debian's m2sh, runs Debian's mongrel2 for server uuid with
// dir as working directory and the extra environment env, and waits until
// addr accepts connections. The server is killed when the test ends. It
// returns the config database's path.
func StartMongrel2(t testing.TB, dir, conf, uuid, addr string, env ...string) string {
	t.Helper()
	for _, sub := range []string{"logs", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	confPath := filepath.Join(dir, "mongrel2.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "config.sqlite")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := exec.CommandContext(ctx, M2sh, "load", "-config", confPath, "-db", db)
	load.Dir = dir
	load.Env = append(os.Environ(), "LOGNAME=bareku")
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("m2sh load: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("m2sh load wrote no database: %v", err)
	}
	srv := exec.Command(Mongrel2, db, uuid)
	srv.Dir = dir
	srv.Env = append(os.Environ(), env...)
	var log bytes.Buffer
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return db
		}
		if time.Now().After(deadline) {
			t.Fatalf("mongrel2 did not start: %v\n%s", err, log.String())
		}
	}
}

// Addr is the loopback address of port.
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
