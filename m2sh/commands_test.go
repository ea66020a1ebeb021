package m2sh

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/bareku/bareku/config"
)

// writeTestDB writes a database of three servers (two named "sub") in dir
// and returns its name (relative to dir).
func writeTestDB(t *testing.T, dir string) string {
	t.Helper()
	data := &config.Dataset{
		Servers: []config.ServerRow{
			{ID: 1, UUID: "u-main", Name: "main", DefaultHost: "localhost", Chroot: "./", PidFile: "/run/main.pid", Port: 1},
			{ID: 2, UUID: "u-sub1", Name: "sub", DefaultHost: "foo", PidFile: "run/sub1.pid", Port: 1},
			{ID: 3, UUID: "u-sub2", Name: "sub", DefaultHost: "sub", PidFile: "run/sub2.pid", Port: 1},
		},
		Hosts: []config.HostRow{
			{ID: 1, ServerID: 1, Name: "localhost", Matching: "localhost"},
			{ID: 2, ServerID: 1, Name: "other", Matching: "(.*).other"},
			{ID: 3, ServerID: 2, Name: "foo", Matching: "foo"},
		},
		Dirs: []config.DirRow{{ID: 1, Base: "s/", IndexFile: "i", DefaultCType: "t"}},
		Routes: []config.RouteRow{
			{ID: 1, Path: "/", HostID: 1, TargetID: 1, TargetType: "dir"},
			{ID: 2, Path: "/a/(.*)", HostID: 1, TargetID: 1, TargetType: "dir"},
			{ID: 3, Path: "/o", HostID: 2, TargetID: 1, TargetType: "dir"},
		},
	}
	if err := config.Write(filepath.Join(dir, "t.sqlite"), data); err != nil {
		t.Fatal(err)
	}
	return "t.sqlite"
}

func TestQueryCommands(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := writeTestDB(t, dir)
	const noDB = stamp + "[ERROR] (errno: No such file or directory) Can't access config database 'missing' properly.\n"
	const noResults = stamp + "[WARN] (errno: No such file or directory) No results to display.\n"
	tests := []struct {
		args           []string
		rc             int
		stdout, stderr string
	}{
		{[]string{"hosts", "-db", db, "-server", "main"}, 0, "HOSTS in main:\n-----\n1 localhost \n2 other \n", ""},
		{[]string{"hosts", "-db", db, "-server", "none"}, 0, "HOSTS in none:\n-----\n", noResults},
		{[]string{"hosts", "-db", db}, 0, "", stamp + "[ERROR] (errno: None) You need to give a -server of the server to list hosts from.\n"},
		{[]string{"hosts", "-db", "missing", "-server", "main"}, 0, "", noDB},
		{[]string{"routes", "-db", db, "-server", "main", "-host", "localhost"}, 0,
			"ROUTES in host localhost, server main\n-----\n/ \n/a/(.*) \n", ""},
		{[]string{"routes", "-db", db, "-id", "2"}, 0, "ROUTES in host id 2\n-----\n/o \n", ""},
		{[]string{"routes", "-db", db, "-id", "1=1"}, 0, "ROUTES in host id 1=1\n-----\n/ \n/a/(.*) \n", ""},
		{[]string{"routes", "-db", db, "-id", "9"}, 0, "ROUTES in host id 9\n-----\n", noResults},
		{[]string{"routes", "-db", db}, 0, "", stamp + "[ERROR] (errno: None) Must set the -server name you want or use -id.\n"},
		{[]string{"routes", "-db", db, "-server", "main"}, 0, "", stamp + "[ERROR] (errno: None) Must set the -host in that server you want or use -id.\n"},
		{[]string{"routes", "-db", "missing", "-id", "1"}, 0, "", noDB},
		{[]string{"log", "-db", db}, 0, "LOG MESSAGES:\n------\n", noResults},
		{[]string{"log", "-db", "missing"}, 255, "", noDB},
		{[]string{"commit", "-db", "missing", "-what", "x", "-how", "y"}, 255, "", noDB},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			rc, stdout, stderr := runM2sh(t, nil, tc.args...)
			if rc != tc.rc || stdout != tc.stdout || stderr != tc.stderr {
				t.Errorf("got rc %d\nstdout %q\nstderr %q\nwant rc %d\nstdout %q\nstderr %q",
					rc, stdout, stderr, tc.rc, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestCommitAndLog(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := writeTestDB(t, dir)
	env := map[string]string{"LOGNAME": "tester"}
	rc, stdout, stderr := runM2sh(t, env, "commit", "-db", db)
	wantErr := stamp + "[WARN] (errno: None) No option --what given, using \"\" as the default.\n" +
		stamp + "[WARN] (errno: None) No option --how given, using \"m2sh\" as the default.\n"
	if rc != 0 || stdout != "" || stderr != wantErr {
		t.Fatalf("commit: rc %d, stdout %q, stderr %q", rc, stdout, stderr)
	}
	// m2sh 1.12.2 crashes after inserting when -where is given.
	if rc, _, stderr := runM2sh(t, env, "commit", "-db", db, "-what", "w", "-why", "y", "-where", "h", "-how", "x"); rc != 0 || stderr != "" {
		t.Fatalf("commit -where: rc %d, stderr %q", rc, stderr)
	}
	if rc, _, stderr := runM2sh(t, map[string]string{}, "commit", "-db", db, "-what", "w", "-how", "x"); rc != 255 ||
		stderr != stamp+"[ERROR] (errno: No such device or address) getlogin failed and no LOGNAME env variable, how'd you do that?\n" {
		t.Fatalf("commit without a login: rc %d, stderr %q", rc, stderr)
	}
	// m2sh 1.12.2 stores NULL for the missing -why and prints "(null)".
	rc, stdout, stderr = runM2sh(t, nil, "log", "-db", db)
	re := regexp.MustCompile(`^LOG MESSAGES:\n------\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d tester box m2sh   \n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d tester h x w y \n$`)
	if rc != 0 || !re.MatchString(stdout) || stderr != "" {
		t.Errorf("log: rc %d, stdout %q, stderr %q", rc, stdout, stderr)
	}
}

func TestHelp(t *testing.T) {
	rc, stdout, _ := runM2sh(t, nil, "help")
	if rc != 0 || !strings.HasPrefix(stdout, "Mongrel2 m2sh has these commands available:\n\n    load  Load a config.\n") ||
		!strings.HasSuffix(stdout, "    uuid  Prints out a randomly generated UUID.\n") || strings.Count(stdout, "\n") != 20 {
		t.Errorf("help: rc %d, stdout %q", rc, stdout)
	}
	for _, tc := range []struct{ on, want string }{
		{"control", "control\tConnects to the control port.\n"},
		{"nope", "No help for nope. Use m2sh help to see a list."},
	} {
		if rc, stdout, _ := runM2sh(t, nil, "help", "-on", tc.on); rc != 0 || stdout != tc.want {
			t.Errorf("help -on %s: rc %d, stdout %q", tc.on, rc, stdout)
		}
	}
}

func TestUUID(t *testing.T) {
	_, a, _ := runM2sh(t, nil, "uuid")
	_, b, _ := runM2sh(t, nil, "uuid")
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$`)
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Errorf("uuids %q %q", a, b)
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		args   []string
		rc     int
		stdout string
	}{
		{[]string{"-match", "/us", "-pattern", "/users"}, 0, "Match passed on '/us' against '/users'.\nROUTE: pattern='/users', prefix='/users'\n"},
		{[]string{"-match", "www.wild.org", "-pattern", "(.*).wild.org", "-reversed", "-suffix"}, 0,
			"Match passed on 'www.wild.org' against '(.*).wild.org'.\nROUTE: pattern='(.*)$', prefix='gro.dliw.'\n"},
		{[]string{"-match", "/x", "-pattern", "/y"}, 0, "Match FAILED on '/x' against '/y'.\n"},
		{[]string{"-match", "/x"}, 255, ""},
		{nil, 255, ""},
	}
	for _, tc := range tests {
		rc, stdout, _ := runM2sh(t, nil, append([]string{"route"}, tc.args...)...)
		if rc != tc.rc || stdout != tc.stdout {
			t.Errorf("route %v: rc %d, stdout %q", tc.args, rc, stdout)
		}
	}
}

func TestAccess(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	lines := "86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]\n" +
		"\n" +
		"junk\n" +
		"26:1:a,1:b,1:1#1:1#1:c,1:d,1:e,1:1#]\n" + // eight values
		"37:1:a,1:b,1:1#1:1#1:c,1:d,1:e,1:1#1:x,]\n" + // size is a string
		"79:9:localhost,9:127.0.0.1,5:55104#10:1795790307#3:GET,4:/sub,8:HTTP/1.1,1:0#2:-1#]" // no newline
	if err := os.WriteFile("access.log", []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, stdout, stderr := runM2sh(t, nil, "access", "-log", "access.log")
	want := "[1795790306] 127.0.0.1:55090 localhost \"GET /data.txt HTTP/1.1\" 200 10\n" +
		"[1795790307] 127.0.0.1:55104 localhost \"GET /sub HTTP/1.1\" 0 -1\n"
	var wantErr string
	for _, n := range []string{"2", "3", "4", "5"} {
		wantErr += stamp + "[WARN] (errno: None) Malformed log line: " + n + ".\n"
	}
	if rc != 0 || stdout != want || stderr != wantErr {
		t.Errorf("rc %d\nstdout %q\nstderr %q", rc, stdout, stderr)
	}
	rc, _, stderr = runM2sh(t, nil, "access")
	if rc != 255 || stderr != stamp+"[WARN] (errno: None) No option --log given, using \"logs/access.log\" as the default.\n"+
		stamp+"[ERROR] (errno: No such file or directory) Failed to open log file: logs/access.log\n" {
		t.Errorf("no log: rc %d, stderr %q", rc, stderr)
	}
}

func TestShell(t *testing.T) {
	for _, interactive := range []bool{false, true} {
		var out, errOut bytes.Buffer
		s := testSession(&out, &errOut, map[string]string{"HOME": "/h"})
		s.stdin = strings.NewReader("version\n\nfoo\r\nhelp -on uuid")
		s.interactive = interactive
		if rc := s.run([]string{"shell"}); rc != 0 {
			t.Errorf("rc %d", rc)
		}
		want := "Mongrel2/1.12.2\nuuid\tPrints out a randomly generated UUID.\n"
		if interactive {
			want = "mongrel2> Mongrel2/1.12.2\nmongrel2> mongrel2> mongrel2> uuid\tPrints out a randomly generated UUID.\n\n"
		}
		// Without a terminal m2sh's line editor leaves ENOTTY in errno.
		wantErr := stamp + "[ERROR] (errno: Inappropriate ioctl for device) INVALID COMMAND. Use m2sh help to find out what's available.\n"
		if interactive {
			wantErr = stamp + "[ERROR] (errno: None) INVALID COMMAND. Use m2sh help to find out what's available.\n"
		}
		if out.String() != want || errOut.String() != wantErr {
			t.Errorf("interactive %v: stdout %q, stderr %q", interactive, out.String(), errOut.String())
		}
	}
}

// The server commands' option checks, and how they treat servers whose
// pid file is missing, stale or garbled.
func TestServerCommandsWithoutServers(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := writeTestDB(t, dir)
	if err := os.Mkdir("run", 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("run/main.pid", []byte("2147483647\n"), 0o644) // no such process
	os.WriteFile("run/sub1.pid", []byte("junk"), 0o644)
	const (
		internal = stamp + "[ERROR] (errno: None) Failed to run internal operation.\n"
		noPidMsg = "mongrel2 is not running because pid_file isn't there.\n"
	)
	noPid := func(path string, errno string) string {
		return stamp + "[ERROR] (errno: " + errno + ") Couldn't read the PID from " + path + "\n"
	}
	tests := []struct {
		args           []string
		rc             int
		stdout, stderr string
	}{
		{[]string{"stop"}, 255, "", stamp + "[ERROR] (errno: None) Just one please, not all of the options.\n"},
		{[]string{"running", "-db", db, "-name", "main", "-uuid", "u"}, 255, "", stamp + "[ERROR] (errno: None) Just one please, not all of the options.\n"},
		{[]string{"stop", "-url", "x", "-name", "main"}, 255, "", stamp + "[ERROR] (errno: None) You must give either --db or --style and --url.\n"},
		{[]string{"reload", "-db", db, "-name", "nope"}, 255, "", stamp + "[ERROR] (errno: No such file or directory) No servers matched the description.\n"},
		{[]string{"running", "-db", db, "-name", "main"}, 0, "mongrel2 at PID 2147483647 is NOT running.\n", ""},
		{[]string{"stop", "-db", db, "-uuid", "u-main"}, 255, "",
			stamp + "[ERROR] (errno: No such process) Failed to stop server with PID: 2147483647\n" + internal},
		{[]string{"running", "-db", db, "-host", "sub"}, 0, noPidMsg, noPid("run/sub2.pid", "No such file or directory")},
		// Every server is acted on, where m2sh 1.12.2 fails with "Wrong
		// number of results." when more than one is selected.
		{[]string{"running", "-db", db, "-every"}, 0, "mongrel2 at PID 2147483647 is NOT running.\n" + noPidMsg + noPidMsg,
			noPid("run/sub1.pid", "None") + noPid("run/sub2.pid", "No such file or directory")},
		{[]string{"reload", "-db", db, "-name", "sub"}, 255, "",
			noPid("run/sub1.pid", "None") + stamp + "[ERROR] (errno: None) Failed to read the pid_file.\n" +
				noPid("run/sub2.pid", "No such file or directory") + stamp + "[ERROR] (errno: None) Failed to read the pid_file.\n" + internal},
		{[]string{"running", "-url", "x", "-style", "y", "-uuid", "u"}, 0, noPidMsg,
			stamp + "[ERROR] (errno: None) Wrong number of results.\n"},
		{[]string{"control", "-db", db, "-name", "sub"}, 255, "",
			stamp + "[ERROR] (errno: No such file or directory) Ambiguous server select, expected 1 but got 2.\n" + internal},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			rc, stdout, stderr := runM2sh(t, nil, tc.args...)
			if rc != tc.rc || stdout != tc.stdout || stderr != tc.stderr {
				t.Errorf("got rc %d\nstdout %q\nstderr %q\nwant rc %d\nstdout %q\nstderr %q",
					rc, stdout, stderr, tc.rc, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestStartWithoutAServer(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := writeTestDB(t, dir)
	var out, errOut bytes.Buffer
	s := testSession(&out, &errOut, nil)
	s.findServer = func() (string, error) { return "", syscall.ENOENT }
	if rc := s.run([]string{"start", "-db", db, "-name", "main"}); rc != 255 || !strings.Contains(errOut.String(), "Can't find the mongrel2 server") {
		t.Errorf("rc %d, stderr %q", rc, errOut.String())
	}
}

// start passes each selected server to mongrel2 as `<db> <uuid>`, behind
// the -sudo command when there is one.
func TestStartCommandLines(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := writeTestDB(t, dir)
	// A stand-in server that records its arguments.
	script := filepath.Join(dir, "fake")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$0 $*\" >> "+filepath.Join(dir, "argv")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-name", "main"}, []string{script + " t.sqlite u-main"}},
		{[]string{"-every"}, []string{script + " t.sqlite u-main", script + " t.sqlite u-sub1", script + " t.sqlite u-sub2"}},
		{[]string{"-host", "foo", "-sudo", "env A=1"}, []string{script + " t.sqlite u-sub1"}},
		{[]string{"-url", "zmq", "-style", "mod.so", "-uuid", "u"}, []string{script + " zmq u mod.so"}},
	}
	for _, tc := range tests {
		os.Remove("argv")
		var out, errOut bytes.Buffer
		s := testSession(&out, &errOut, nil)
		s.findServer = func() (string, error) { return script, nil }
		args := append([]string{"start"}, tc.args...)
		if !slicesContains(tc.args, "-url") {
			args = append(args, "-db", db)
		}
		if rc := s.run(args); rc != 0 {
			t.Errorf("%v: rc %d, stderr %q", tc.args, rc, errOut.String())
			continue
		}
		data, _ := os.ReadFile("argv")
		got := strings.Split(strings.TrimSpace(string(data)), "\n")
		// The servers run at the same time, so they may log in any order.
		if !sameSet(got, tc.want) {
			t.Errorf("%v: ran %q, want %q", tc.args, got, tc.want)
		}
	}
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"123": 123, " 12x": 12, "\n-5": -5, "+7": 7, "": 0, "junk": 0, "99999999999999999999": 1<<31 + 1} {
		if got := atoi(in); got != want && !(want > 1<<31 && got >= 1<<31) {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestControlEndpoint(t *testing.T) {
	tests := []struct {
		chroot, port, want string
	}{
		{"./", "ipc://run/control", "ipc://.//run/control"},
		{"", "ipc://run/control", "ipc://run/control"},
		{"/var/www", "ipc:///run/c", "ipc:///var/www/run/c"},
		{"/var/www", "tcp://127.0.0.1:9999", "tcp://127.0.0.1:9999"},
	}
	for _, tc := range tests {
		if got := controlEndpoint(config.Server{Chroot: tc.chroot, ControlPort: tc.port}); got != tc.want {
			t.Errorf("chroot %q, port %q: got %q, want %q", tc.chroot, tc.port, got, tc.want)
		}
	}
}
