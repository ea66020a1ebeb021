package m2sh

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// normalizeLog drops the time stamps of m2sh's diagnostics, and the lines
// m2sh 1.12.2's libraries log from inside (tagged with their source file),
// which this package does not reproduce.
func normalizeLog(s string) string {
	s = stampRE.ReplaceAllString(s, "")
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(line, "(src/") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// runOurs runs this package's m2sh in the current directory with stdin.
func runOurs(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	s := newSession(&out, &errOut)
	s.stdin = strings.NewReader(stdin)
	s.interactive = false
	s.getenv = func(k string) string {
		if k == "LOGNAME" {
			return "tester"
		}
		return os.Getenv(k)
	}
	rc := s.run(args)
	return rc, out.String(), errOut.String()
}

// compareWithReal runs args (with stdin) through both and reports any
// difference in exit status, stdout or normalized stderr.
func compareWithReal(t *testing.T, dir, stdin string, args ...string) {
	t.Helper()
	rcReal, outReal, errReal := runRealStdin(t, dir, stdin, args...)
	rc, out, errOurs := runOurs(stdin, args...)
	errReal, errOurs = normalizeLog(errReal), normalizeLog(errOurs)
	if rc != rcReal || out != outReal || errOurs != errReal {
		t.Errorf("m2sh 1.12.2: rc %d\nstdout %q\nstderr %q\nours: rc %d\nstdout %q\nstderr %q",
			rcReal, outReal, errReal, rc, out, errOurs)
	}
}

// setupDiffDir loads the sample configs with the original m2sh into a new
// directory, makes it the current one and returns it: multi.sqlite has
// three servers (two named "sub"), single.sqlite one.
func setupDiffDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for db, conf := range map[string]string{"multi.sqlite": "multi.conf", "single.sqlite": "spec_minimal.conf"} {
		conf, _ := filepath.Abs(filepath.Join("../config/testdata", conf))
		if rc, _, stderr := runReal(t, dir, "load", "-config", conf, "-db", db); rc != 0 {
			t.Fatalf("m2sh load %s: %s", conf, stderr)
		}
	}
	access := "86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]\n" +
		"\njunk\n5:hello,\n26:1:a,1:b,1:1#1:1#1:c,1:d,1:e,1:1#]\n" +
		"88:9:localhost,9:127.0.0.1,5:55098#10:1795790307#4:POST,10:/handler/p,8:HTTP/1.1,3:200#1:3#]"
	if err := os.WriteFile(filepath.Join(dir, "access.log"), []byte(access), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

func TestCommandsMatchM2sh(t *testing.T) {
	needOracle(t)
	dir := setupDiffDir(t)
	os.Mkdir("run", 0o755)
	tests := [][]string{
		{"help"},
		{"help", "-on", "start"},
		{"help", "-on", "nope"},
		{"help", "-on"},
		{"route"},
		{"route", "-match", "/us"},
		{"route", "-match", "/us", "-pattern", "/users"},
		{"route", "-match", "www.wild.org", "-pattern", "(.*).wild.org", "-reversed", "-suffix"},
		{"route", "-match", "/x", "-pattern", "/y"},
		{"route", "-match", "/users/12", "-pattern", `/users/(\d+)$`},
		{"hosts"},
		{"hosts", "-db", "multi.sqlite"},
		{"hosts", "-db", "multi.sqlite", "-server", "test"},
		{"hosts", "-db", "multi.sqlite", "-server", "sub"},
		{"hosts", "-db", "multi.sqlite", "-server", "nope"},
		{"hosts", "-db", "missing", "-server", "test"},
		{"routes", "-db", "multi.sqlite"},
		{"routes", "-db", "multi.sqlite", "-server", "test"},
		{"routes", "-db", "multi.sqlite", "-server", "test", "-host", "localhost"},
		{"routes", "-db", "multi.sqlite", "-id", "1"},
		{"routes", "-db", "multi.sqlite", "-id", "1=1"},
		{"routes", "-db", "multi.sqlite", "-id", "99"},
		{"routes", "-db", "missing"},
		{"log"},
		{"log", "-db", "multi.sqlite"},
		{"log", "-db", "missing"},
		{"commit", "-db", "missing"},
		{"access"},
		{"access", "-log", "nope"},
		{"access", "-log"},
		{"access", "-log", "access.log"},
		{"start"},
		{"stop"},
		{"stop", "-db", "multi.sqlite"},
		{"stop", "-db", "multi.sqlite", "-name", "test", "-host", "x"},
		{"stop", "-db", "multi.sqlite", "-name", "nope"},
		{"stop", "-db", "multi.sqlite", "-name", "test"},
		{"stop", "-url", "x", "-name", "test"},
		{"stop", "-url", "x", "-style", "y", "-name", "test"},
		{"reload", "-db", "multi.sqlite", "-uuid", "f400bf85-4538-4f7a-8908-67e313d515c2"},
		{"running", "-db", "multi.sqlite", "-name", "test"},
		{"running", "-db", "multi.sqlite", "-host", "localhost", "-name", "test"},
		{"running", "-url", "x", "-style", "y", "-name", "test"},
		{"running", "-db", "single.sqlite", "-every"},
		{"control", "-db", "multi.sqlite", "-every"},
		{"control", "-db", "multi.sqlite", "-name", "nope"},
		{"control", "-url", "x", "-style", "y", "-name", "test"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) { compareWithReal(t, dir, "", args...) })
	}

	// A pid file naming a dead process, then a garbled one.
	if err := os.WriteFile("run/mongrel2.pid", []byte("2147483647\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"stop", "reload", "running"} {
		t.Run(cmd+" with a stale pid", func(t *testing.T) { compareWithReal(t, dir, "", cmd, "-db", "multi.sqlite", "-name", "test") })
	}
	os.WriteFile("run/mongrel2.pid", []byte(" 2147483646x"), 0o644)
	t.Run("running with a garbled pid", func(t *testing.T) { compareWithReal(t, dir, "", "running", "-db", "multi.sqlite", "-name", "test") })

	t.Run("shell", func(t *testing.T) {
		compareWithReal(t, dir, "version\n\nhelp -on uuid\nfoo\nhosts -db multi.sqlite -server test\n", "shell")
	})
	t.Run("uuid", func(t *testing.T) {
		rcReal, outReal, _ := runReal(t, dir, "uuid")
		rc, out, _ := runOurs("", "uuid")
		re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$`)
		if rc != rcReal || !re.MatchString(outReal) || !re.MatchString(out) {
			t.Errorf("m2sh 1.12.2: rc %d %q; ours: rc %d %q", rcReal, outReal, rc, out)
		}
	})
}

// commit writes the same row as m2sh 1.12.2 does, except that a missing
// -why is stored as "" rather than NULL.
func TestCommitMatchesM2sh(t *testing.T) {
	needOracle(t)
	dir := setupDiffDir(t)
	for _, args := range [][]string{
		{"-what", "w", "-why", "y", "-how", "h"},
		{},
	} {
		real, ours := filepath.Join(dir, "real.sqlite"), filepath.Join(dir, "ours.sqlite")
		for _, db := range []string{real, ours} {
			data, _ := os.ReadFile("single.sqlite")
			os.WriteFile(db, data, 0o644)
		}
		rcReal, outReal, errReal := runReal(t, dir, append([]string{"commit", "-db", real}, args...)...)
		rc, out, errOurs := runOurs("", append([]string{"commit", "-db", ours}, args...)...)
		if rc != rcReal || out != outReal || normalizeLog(errOurs) != normalizeLog(errReal) {
			t.Errorf("%v: m2sh 1.12.2: rc %d %q %q; ours: rc %d %q %q", args, rcReal, outReal, errReal, rc, out, errOurs)
		}
		const q = "SELECT id, who, what, location, how, coalesce(why, '') FROM log ORDER BY id"
		if r, o := sqlite3(t, real, q), sqlite3(t, ours, q); r != o {
			t.Errorf("%v: log rows differ:\nm2sh 1.12.2 %s\nours %s", args, r, o)
		}
	}
}
