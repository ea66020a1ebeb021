package m2sh

import (
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit statuses. m2sh returns -1 from failing commands, which the shell
// sees as 255.
const (
	exitOK      = 0
	exitFailure = 255
)

// Main runs m2sh with the given arguments (without the program name) and
// returns the process exit status. Normal output goes to stdout and
// diagnostics to stderr; the interactive commands (shell, control) read
// lines from the process's standard input, and `start` runs mongrel2.
func Main(args []string, stdout, stderr io.Writer) int {
	return newSession(stdout, stderr).run(args)
}

// session is one run of m2sh with its connections to the outside world,
// which tests replace.
type session struct {
	stdout io.Writer
	log    *logger

	// stdin feeds the interactive commands (shell, control); prompts are
	// shown only when interactive is set, as m2sh's line editor shows
	// them only on a terminal.
	stdin       io.Reader
	interactive bool
	// findServer locates the mongrel2 executable `start` runs.
	findServer func() (string, error)
	// controlTimeout bounds the wait for each control-port reply.
	controlTimeout time.Duration

	getenv   func(string) string
	hostname func() (string, error)
	// loginUID returns the audit login uid of the process (what glibc's
	// getlogin consults first), or an error when there is none.
	loginUID func() (string, error)
}

func newSession(stdout, stderr io.Writer) *session {
	return &session{
		stdout:         stdout,
		log:            &logger{w: stderr, now: time.Now},
		stdin:          os.Stdin,
		interactive:    isTerminal(os.Stdin),
		findServer:     findMongrel2,
		controlTimeout: 30 * time.Second,
		getenv:         os.Getenv,
		hostname:       os.Hostname,
		loginUID:       readLoginUID,
	}
}

// isTerminal reports whether f is a character device, the test m2sh's
// line editor uses to decide whether to show a prompt.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// findMongrel2 looks for the server beside the running executable, then on
// PATH.
func findMongrel2() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "mongrel2")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath("mongrel2")
}

// command is one m2sh command.
type command struct {
	name string
	help string
	run  func(s *session, inv invocation) int
}

// commands lists the commands in the order `m2sh help` shows them.
func commands() []command {
	return []command{
		{name: "load", help: "Load a config.", run: (*session).load},
		{name: "config", help: "Alias for load.", run: (*session).load},
		{name: "shell", help: "Starts an interactive shell.", run: (*session).shell},
		{name: "access", help: "Prints the access log.", run: (*session).access},
		{name: "servers", help: "Lists the servers in a config database.", run: (*session).servers},
		{name: "hosts", help: "Lists the hosts in a server.", run: (*session).hosts},
		{name: "routes", help: "Lists the routes in a host.", run: (*session).routes},
		{name: "commit", help: "Adds a message to the log.", run: (*session).commit},
		{name: "log", help: "Prints the commit log.", run: (*session).commitLog},
		{name: "start", help: "Starts a server.", run: (*session).start},
		{name: "stop", help: "Stops a server.", run: (*session).stop},
		{name: "reload", help: "Reloads a server.", run: (*session).reload},
		{name: "running", help: "Tells you what's running.", run: (*session).running},
		{name: "control", help: "Connects to the control port.", run: (*session).control},
		{name: "route", help: "Tests out routing patterns.", run: (*session).route},
		{name: "version", help: "Prints the Mongrel2 and m2sh version.", run: (*session).version},
		{name: "help", help: "Get help, lists commands.", run: (*session).help},
		{name: "uuid", help: "Prints out a randomly generated UUID.", run: (*session).uuid},
	}
}

func (s *session) run(args []string) int {
	return s.runLine(joinArgs(args))
}

// runLine runs a command line that starts with the program name.
func (s *session) runLine(line string) int {
	inv, ok, errMsg := parseInvocation(scanArgs(line))
	if !ok {
		s.log.errorf(nil, "USAGE: m2sh <command> [options]")
		return exitFailure
	}
	if errMsg != "" {
		s.log.errorf(nil, "%s", errMsg)
		s.log.errorf(nil, "USAGE: m2sh <command> [options]")
		return exitFailure
	}
	if inv.extra > 0 {
		s.log.errorf(nil, "Commands only take --option style arguments, you have %d extra.", inv.extra)
		return exitFailure
	}
	for _, c := range commands() {
		if c.name == inv.name {
			return c.run(s, inv)
		}
	}
	s.log.errorf(nil, "INVALID COMMAND. Use m2sh help to find out what's available.")
	return exitFailure
}

// optionDefault returns option name, or def after warning that the option
// was not given.
func (s *session) optionDefault(inv invocation, name, def string) string {
	if v, ok := inv.options[name]; ok {
		return v
	}
	s.log.warnf(nil, "No option --%s given, using \"%s\" as the default.", name, def)
	return def
}

// Access modes for checkAccess.
const (
	readable     = 4 // R_OK
	readWritable = 6 // R_OK | W_OK
)

// checkAccess reports whether path can be accessed in mode, logging m2sh's
// message (with what naming the file) when it cannot.
func (s *session) checkAccess(path, what string, mode uint32) bool {
	if err := syscall.Access(path, mode); err != nil {
		s.log.errorf(err, "Can't access %s '%s' properly.", what, path)
		return false
	}
	return true
}

// loginName finds the name m2sh records as the author of a change: the
// login user of the process (glibc's getlogin looks at the audit login
// uid first), else $LOGNAME.
func (s *session) loginName() (string, bool) {
	if uid, err := s.loginUID(); err == nil {
		if u, err := user.LookupId(uid); err == nil {
			return u.Username, true
		}
	}
	if name := s.getenv("LOGNAME"); name != "" {
		return name, true
	}
	return "", false
}

// readLoginUID reads /proc/self/loginuid; (uid_t)-1 means "not set".
func readLoginUID() (string, error) {
	b, err := os.ReadFile("/proc/self/loginuid")
	if err != nil {
		return "", err
	}
	uid := strings.TrimSpace(string(b))
	if n, err := strconv.ParseUint(uid, 10, 32); err != nil || n == 1<<32-1 {
		return "", syscall.ENXIO
	}
	return uid, nil
}
