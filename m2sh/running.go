package m2sh

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bareku/bareku/config"
)

// The commands that act on servers (start, stop, reload, running, control)
// pick them the way m2sh 1.12.2 does: from the database given by -db
// (config.sqlite when neither -db nor -url is given) by exactly one of
// -every, -name, -host (the default host) and -uuid. With -url and -style
// instead of -db, `start` passes them to mongrel2 as a config module and
// the other commands have nothing to act on.
//
// Every selected server is acted on; m2sh 1.12.2 starts only the first one
// and fails the others with more than one.

// selection is the outcome of picking servers.
type selection struct {
	db      string
	url     string // -url, when there is no -db
	style   string
	uuid    string
	sudo    []string // the command that prefixes mongrel2, if any
	murder  bool
	fromDB  bool
	servers []config.Server
}

// selectServers applies the options; ok is false after an error was
// logged.
func (s *session) selectServers(inv invocation) (sel selection, ok bool) {
	opt := func(name string) (string, bool) { v, ok := inv.options[name]; return v, ok }
	db, hasDB := opt("db")
	url, hasURL := opt("url")
	style, hasStyle := opt("style")
	uuid, hasUUID := opt("uuid")
	if !hasURL && !hasDB {
		db, hasDB = "config.sqlite", true
	}
	if !hasDB && !(hasURL && hasStyle) {
		s.log.errorf(nil, "You must give either --db or --style and --url.")
		return sel, false
	}
	name, hasName := opt("name")
	host, hasHost := opt("host")
	_, hasEvery := opt("every")
	n := 0
	for _, has := range []bool{hasEvery, hasName, hasHost, hasUUID} {
		if has {
			n++
		}
	}
	if n != 1 {
		s.log.errorf(nil, "Just one please, not all of the options.")
		return sel, false
	}
	sel = selection{db: db, url: url, style: style, uuid: uuid, fromDB: hasDB}
	if sudo, ok := opt("sudo"); ok {
		sel.sudo = strings.Fields(sudo)
		if len(sel.sudo) == 0 {
			sel.sudo = []string{"sudo"}
		}
	}
	_, sel.murder = opt("murder")
	if !hasDB {
		return sel, true
	}
	all, err := config.Servers(db)
	if err != nil {
		s.log.errorf(nil, "SQL error: %v", err)
		s.log.errorf(nil, "Wrong return type from query, should be list.")
		return sel, false
	}
	for _, srv := range all {
		if hasEvery || hasName && srv.Name == name || hasHost && srv.DefaultHostName == host || hasUUID && srv.UUID == uuid {
			sel.servers = append(sel.servers, srv)
		}
	}
	if len(sel.servers) == 0 {
		s.log.errorf(sqliteErrno, "No servers matched the description.")
		return sel, false
	}
	return sel, true
}

// start runs `mongrel2 <db> <uuid>` for each selected server (with -url,
// `mongrel2 <url> <uuid> <style>`), prefixed by the -sudo command. The
// servers are started together, so that servers which stay in the
// foreground all run, and start returns when they have all exited (a
// daemonizing server exits at once). Their exit statuses are ignored, as
// m2sh ignores what system() returns.
func (s *session) start(inv invocation) int {
	sel, ok := s.selectServers(inv)
	if !ok {
		return exitFailure
	}
	bin, err := s.findServer()
	if err != nil {
		s.log.errorf(nil, "Can't find the mongrel2 server beside m2sh or on PATH: %v", err)
		return exitFailure
	}
	var argvs [][]string
	if sel.fromDB {
		for _, srv := range sel.servers {
			argvs = append(argvs, []string{sel.db, srv.UUID})
		}
	} else {
		argvs = append(argvs, []string{sel.url, sel.uuid, sel.style})
	}
	stdout, stderr := shareable(s.stdout), shareable(s.log.w)
	var cmds []*exec.Cmd
	for _, args := range argvs {
		argv := append(append(append([]string{}, sel.sudo...), bin), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if f, ok := s.stdin.(*os.File); ok {
			cmd.Stdin = f
		}
		// A daemonizing server leaves a child that may hold the output
		// pipes open (when the writers are not files); do not wait for it.
		cmd.WaitDelay = time.Second
		if err := cmd.Start(); err != nil {
			s.log.errorf(err, "Failed to start %s: %v", strings.Join(argv, " "), err)
			continue
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		cmd.Wait()
	}
	if len(cmds) < len(argvs) {
		return exitFailure
	}
	return exitOK
}

// shareable returns w as it is if it is a file, which child processes
// write to directly, or else wrapped so that the copies exec makes from
// several children do not write at the same time.
func shareable(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stop sends SIGINT (SIGTERM with -murder) to each selected server.
func (s *session) stop(inv invocation) int {
	return s.signalServers(inv, func(sel selection) syscall.Signal {
		if sel.murder {
			return syscall.SIGTERM
		}
		return syscall.SIGINT
	})
}

// reload sends SIGHUP to each selected server: Mongrel2 reopens its logs,
// and this project's server also reloads its configuration.
func (s *session) reload(inv invocation) int {
	return s.signalServers(inv, func(selection) syscall.Signal { return syscall.SIGHUP })
}

func (s *session) signalServers(inv invocation, sig func(selection) syscall.Signal) int {
	sel, ok := s.selectServers(inv)
	if !ok {
		return exitFailure
	}
	failed := !sel.fromDB
	if failed {
		s.log.errorf(nil, "Wrong number of results.")
		s.log.errorf(nil, "Failed to read the pid_file.")
	}
	for _, srv := range sel.servers {
		pid, ok := s.readPid(srv)
		if !ok {
			s.log.errorf(nil, "Failed to read the pid_file.")
			failed = true
			continue
		}
		if err := syscall.Kill(pid, sig(sel)); err != nil {
			s.log.errorf(err, "Failed to stop server with PID: %d", pid)
			failed = true
		}
	}
	if failed {
		s.log.errorf(nil, "Failed to run internal operation.")
		return exitFailure
	}
	return exitOK
}

// running reports for each selected server whether the process in its
// pid file is alive.
func (s *session) running(inv invocation) int {
	sel, ok := s.selectServers(inv)
	if !ok {
		return exitFailure
	}
	if !sel.fromDB {
		s.log.errorf(nil, "Wrong number of results.")
		fmt.Fprintln(s.stdout, "mongrel2 is not running because pid_file isn't there.")
		return exitOK
	}
	failed := false
	for _, srv := range sel.servers {
		pid, ok := s.readPid(srv)
		if !ok {
			fmt.Fprintln(s.stdout, "mongrel2 is not running because pid_file isn't there.")
			continue
		}
		switch err := syscall.Kill(pid, 0); {
		case err == nil || errors.Is(err, syscall.EPERM):
			fmt.Fprintf(s.stdout, "mongrel2 at PID %d running.\n", pid)
		case errors.Is(err, syscall.ESRCH):
			fmt.Fprintf(s.stdout, "mongrel2 at PID %d is NOT running.\n", pid)
		default:
			s.log.errorf(err, "Could not send signal to mongrel2 at PID %d", pid)
			failed = true
		}
	}
	if failed {
		s.log.errorf(nil, "Failed to run internal operation.")
		return exitFailure
	}
	return exitOK
}

// readPid reads the pid file of srv, at chroot and pid_file pasted
// together as m2sh does, and parses it like C atoi. A pid below 1 (an
// empty or garbled file) counts as unreadable: m2sh 1.12.2 would signal
// pid 0, its own process group.
func (s *session) readPid(srv config.Server) (int, bool) {
	path := srv.Chroot + srv.PidFile
	data, err := os.ReadFile(path)
	pid := atoi(string(data))
	if err != nil || pid < 1 {
		s.log.errorf(err, "Couldn't read the PID from %s", path)
		return 0, false
	}
	return pid, true
}

// atoi parses like C atoi: leading white space, an optional sign, then
// digits up to the first non-digit; 0 when there are none.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<31; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}
