package m2sh

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
)

// fixedNow is the clock of test sessions; its log prefix is stamp.
var fixedNow = time.Date(2026, time.November, 27, 14, 34, 45, 0, time.UTC)

const stamp = "Fri, 27 Nov 2026 14:34:45 GMT "

// testSession is a session with a fixed clock, host name and login.
func testSession(stdout, stderr *bytes.Buffer, env map[string]string) *session {
	s := newSession(stdout, stderr)
	s.log.now = func() time.Time { return fixedNow }
	s.getenv = func(k string) string { return env[k] }
	s.hostname = func() (string, error) { return "box", nil }
	s.loginUID = func() (string, error) { return "", errors.New("no login uid") }
	return s
}

// runM2sh runs m2sh in a test session and returns status, stdout, stderr.
func runM2sh(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	rc := testSession(&out, &errOut, env).run(args)
	return rc, out.String(), errOut.String()
}

func TestMainCommandLineErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name   string
		args   []string
		rc     int
		stdout string
		stderr string
	}{
		{"unknown command", []string{"foo"}, 255, "",
			stamp + "[ERROR] (errno: None) INVALID COMMAND. Use m2sh help to find out what's available.\n"},
		{"upper-case command", []string{"Servers"}, 255, "",
			stamp + "[ERROR] (errno: None) INVALID COMMAND. Use m2sh help to find out what's available.\n"},
		{"stray argument", []string{"servers", "bar"}, 255, "",
			stamp + "[ERROR] (errno: None) Commands only take --option style arguments, you have 1 extra.\n"},
		{"stray arguments before the command is known", []string{"foo", "a", "b"}, 255, "",
			stamp + "[ERROR] (errno: None) Commands only take --option style arguments, you have 2 extra.\n"},
		{"not a command name", []string{"123"}, 255, "",
			stamp + "[ERROR] (errno: None) No command name given.  Use m2sh help to figure out what's available.\n" +
				stamp + "[ERROR] (errno: None) USAGE: m2sh <command> [options]\n"},
		{"no command", nil, 255, "",
			stamp + "[ERROR] (errno: None) USAGE: m2sh <command> [options]\n"},
		{"version", []string{"version"}, 0, "Mongrel2/1.12.2\n", ""},
		{"version ignores options", []string{"version", "-x", "--y", "z"}, 0, "Mongrel2/1.12.2\n", ""},
		{"servers without a database", []string{"servers"}, 255, "",
			stamp + "[WARN] (errno: None) No option --db given, using \"config.sqlite\" as the default.\n" +
				stamp + "[ERROR] (errno: No such file or directory) Can't access config database 'config.sqlite' properly.\n"},
		{"servers with an empty -db", []string{"servers", "-db"}, 255, "",
			stamp + "[ERROR] (errno: No such file or directory) Can't access config database '' properly.\n"},
		{"load without a config file", []string{"load"}, 255, "",
			stamp + "[WARN] (errno: None) No option --db given, using \"config.sqlite\" as the default.\n" +
				stamp + "[WARN] (errno: None) No option --config given, using \"mongrel2.conf\" as the default.\n" +
				stamp + "[ERROR] (errno: No such file or directory) Can't access config file 'mongrel2.conf' properly.\n"},
		{"load with an empty -db", []string{"load", "-db", "-config", "m.conf"}, 255, "",
			stamp + "[ERROR] (errno: None) No config database given: -db needs a file name.\n"},
		{"config is load", []string{"config", "-db", "x.sqlite"}, 255, "",
			stamp + "[WARN] (errno: None) No option --config given, using \"mongrel2.conf\" as the default.\n" +
				stamp + "[ERROR] (errno: No such file or directory) Can't access config file 'mongrel2.conf' properly.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, stdout, stderr := runM2sh(t, nil, tc.args...)
			if rc != tc.rc || stdout != tc.stdout || stderr != tc.stderr {
				t.Errorf("got rc %d\nstdout %q\nstderr %q\nwant rc %d\nstdout %q\nstderr %q",
					rc, stdout, stderr, tc.rc, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestMainWritesToTheGivenStreams(t *testing.T) {
	var out, errOut bytes.Buffer
	if rc := Main([]string{"version"}, &out, &errOut); rc != 0 || out.String() != "Mongrel2/1.12.2\n" || errOut.Len() != 0 {
		t.Errorf("rc %d, stdout %q, stderr %q", rc, out.String(), errOut.String())
	}
	out.Reset()
	if rc := Main([]string{"nope"}, &out, &errOut); rc != 255 || out.Len() != 0 ||
		!strings.HasSuffix(errOut.String(), " GMT [ERROR] (errno: None) INVALID COMMAND. Use m2sh help to find out what's available.\n") {
		t.Errorf("rc %d, stdout %q, stderr %q", rc, out.String(), errOut.String())
	}
}

func TestServers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "config.sqlite")
	data := &config.Dataset{Servers: []config.ServerRow{
		{ID: 1, UUID: "f400bf85-4538-4f7a-8908-67e313d515c2", Name: "test", DefaultHost: "localhost", Port: 1},
		{ID: 2, UUID: "2355e656-fac6-41c8-9cba-4977b937cb94", Name: "a b", DefaultHost: "", Port: 1},
	}}
	if err := config.Write(db, data); err != nil {
		t.Fatal(err)
	}
	rc, stdout, stderr := runM2sh(t, nil, "servers", "-db", db)
	want := "SERVERS:\n------\ntest localhost f400bf85-4538-4f7a-8908-67e313d515c2 \na b  2355e656-fac6-41c8-9cba-4977b937cb94 \n"
	if rc != 0 || stdout != want || stderr != "" {
		t.Errorf("rc %d\nstdout %q\nwant   %q\nstderr %q", rc, stdout, want, stderr)
	}

	// A directory passes the access check and fails at the query, after
	// the header is printed.
	dir := t.TempDir()
	rc, stdout, stderr = runM2sh(t, nil, "servers", "--db", dir)
	if rc != 255 || stdout != "SERVERS:\n------\n" || !strings.HasSuffix(stderr, "[ERROR] (errno: None) Query failed: "+dir+".\n") {
		t.Errorf("rc %d\nstdout %q\nstderr %q", rc, stdout, stderr)
	}
}
