package harness

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Impl is one implementation under test: the server binary and the m2sh
// binary that loads its configuration.
type Impl struct {
	Name   string // label in test names: "mongrel2", "bareku", ...
	Server string // path of the mongrel2-compatible server binary
	M2sh   string // path of the m2sh that loads the config
}

// ServerUUID is the uuid of the one server every generated config declares.
const ServerUUID = "f400bf85-4538-4f7a-8908-000000000001"

// Config describes the mongrel2.conf the harness writes. The first host is
// the server's default host.
type Config struct {
	Hosts    []Host
	Handlers []HandlerSpec
	Settings map[string]string // added to {"server.daemonize": "0"}
}

// Host is one Host(...) with its routes.
type Host struct {
	Name     string
	Matching string            // empty: omitted, so m2sh stores Name
	Routes   map[string]string // route path → HandlerSpec.Name
}

// HandlerSpec is one Handler(...) target. The harness picks free loopback
// ports for its send_spec and recv_spec.
type HandlerSpec struct {
	Name     string // config variable suffix and handler label; [a-z0-9_]+
	Ident    string // send_ident; the harness uses Name's UUID-like default if empty
	Protocol string // "json" (default) or "tnetstring"
	// RecvIdent is the recv_ident the server subscribes with ('' = all).
	RecvIdent string
	// Late handlers are not connected when the server starts; see
	// Server.StartHandler.
	Late bool
}

// ident returns the send_ident written to the config for spec.
func (s HandlerSpec) ident() string {
	if s.Ident != "" {
		return s.Ident
	}
	return "34f9ceee-cd52-4b7f-b197-" + s.Name
}

// Server is one running server process with its working directory and
// recording handlers.
type Server struct {
	Impl Impl
	Dir  string // working directory: mongrel2.conf, config.sqlite, logs/, run/
	Addr string // HTTP listener, 127.0.0.1:port

	cfg      Config
	specs    map[string][2]string // handler name → send_spec, recv_spec
	handlers map[string]*Handler

	cmd      *exec.Cmd
	stderr   *syncBuffer
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
}

// Start writes cfg, loads it with impl.M2sh and starts impl.Server in a
// fresh directory, then connects every non-late handler. Everything is torn
// down when the test ends.
func Start(t testing.TB, impl Impl, cfg Config) *Server {
	t.Helper()
	s := Prepare(t, impl, cfg)
	s.Run(t)
	for _, hs := range cfg.Handlers {
		if !hs.Late {
			s.StartHandler(t, hs.Name)
		}
	}
	return s
}

// Prepare writes and loads cfg without starting the server, for tests that
// look at the database or the start-up itself.
func Prepare(t testing.TB, impl Impl, cfg Config) *Server {
	t.Helper()
	dir, err := os.MkdirTemp("", "m2it-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Impl: impl, Dir: dir, cfg: cfg, specs: map[string][2]string{}, handlers: map[string]*Handler{}}
	t.Cleanup(func() {
		if t.Failed() {
			s.logDiagnostics(t)
		}
		os.RemoveAll(dir)
	})
	s.Addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	for _, hs := range cfg.Handlers {
		s.specs[hs.Name] = [2]string{
			"tcp://127.0.0.1:" + strconv.Itoa(freePort(t)),
			"tcp://127.0.0.1:" + strconv.Itoa(freePort(t)),
		}
	}
	conf, err := s.render()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mongrel2.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := Load(impl.M2sh, dir, "mongrel2.conf", "config.sqlite"); err != nil {
		t.Fatalf("%s load: %v\n%s\nconfig:\n%s", impl.M2sh, err, out, conf)
	}
	for _, d := range []string{"logs", "run"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Load runs `m2sh load -config conf -db db` in dir with LOGNAME=test (m2sh
// records the login name in its log table) and returns its output. m2sh
// 1.12.2 exits 0 even on errors, so a missing database is an error too.
func Load(m2sh, dir, conf, db string) ([]byte, error) {
	cmd := exec.Command(m2sh, "load", "-config", conf, "-db", db)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LOGNAME=test")
	out, err := runBounded(cmd, 10*time.Second)
	if err == nil {
		if _, serr := os.Stat(filepath.Join(dir, db)); serr != nil {
			err = fmt.Errorf("harness: m2sh load wrote no database: %w", serr)
		}
	}
	return out, err
}

// runBounded runs cmd to completion, killing it after limit.
func runBounded(cmd *exec.Cmd, limit time.Duration) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	return out.Bytes(), err
}

// Run starts the server process in s.Dir and waits until its listener
// accepts connections.
func (s *Server) Run(t testing.TB) {
	t.Helper()
	s.Spawn(t, "config.sqlite", ServerUUID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("%s exited during start-up: %v", s.Impl.Name, s.exitErr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s not accepting after 5s: %v", s.Impl.Name, s.Addr, err)
		}
	}
}

// Spawn starts the server process in s.Dir with args and returns at once;
// the process is stopped when the test ends.
func (s *Server) Spawn(t testing.TB, args ...string) {
	t.Helper()
	s.cmd = exec.Command(s.Impl.Server, args...)
	s.cmd.Dir = s.Dir
	s.stderr = &syncBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.stderr, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.Impl.Server, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.Stop() })
}

// Wait waits up to d for the process to exit on its own and returns its
// exit code (-1 when killed by a signal); ok is false if it still runs.
func (s *Server) Wait(d time.Duration) (code int, ok bool) {
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// StopTimeout is how long Stop waits after SIGTERM before it kills.
const StopTimeout = 5 * time.Second

// Stop sends SIGTERM, waits up to StopTimeout, then SIGKILLs, and closes the
// handlers. It returns the process's exit error (nil for exit status 0).
// Only the first call acts; later calls return the same result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		for _, h := range s.handlers {
			h.Close()
		}
		if s.cmd == nil || s.exited == nil {
			return
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(StopTimeout):
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	if s.exited == nil {
		return errors.New("harness: server never started")
	}
	return s.exitErr
}

// Exited reports whether the process has ended (without stopping it).
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// Pid returns the server process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stderr returns what the process wrote to stdout and stderr so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// StartHandler connects the recording handler name (declared in the
// config) and waits until the server subscribes to it.
func (s *Server) StartHandler(t testing.TB, name string) *Handler {
	t.Helper()
	spec, ok := s.specs[name]
	if !ok {
		t.Fatalf("no handler %q in config", name)
	}
	if h := s.handlers[name]; h != nil {
		return h
	}
	var ident string
	for _, hs := range s.cfg.Handlers {
		if hs.Name == name {
			ident = hs.ident()
		}
	}
	h, err := startHandler(name, ident, spec[0], spec[1])
	if err != nil {
		t.Fatalf("%s: %v", s.Impl.Name, err)
	}
	s.handlers[name] = h
	t.Cleanup(func() {
		for _, err := range h.Errors() {
			t.Errorf("%s: %v", s.Impl.Name, err)
		}
		h.Close()
	})
	return h
}

// Handler returns the started handler name, failing if it is not running.
func (s *Server) Handler(t testing.TB, name string) *Handler {
	t.Helper()
	h := s.handlers[name]
	if h == nil {
		t.Fatalf("handler %q not started", name)
	}
	return h
}

// Dial opens a raw client connection to the HTTP listener.
func (s *Server) Dial(t testing.TB) *Conn {
	t.Helper()
	return Dial(t, s.Addr)
}

// ErrorLog returns the content of logs/error.log.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "logs", "error.log"))
	return string(b)
}

func (s *Server) logDiagnostics(t testing.TB) {
	t.Logf("%s (%s) in %s", s.Impl.Name, s.Impl.Server, s.Dir)
	if s.stderr != nil {
		t.Logf("stderr:\n%s", tail(s.stderr.String(), 30))
	}
	t.Logf("logs/error.log:\n%s", tail(s.ErrorLog(), 30))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// render writes the mongrel2.conf text for s.cfg.
func (s *Server) render() (string, error) {
	var b strings.Builder
	for _, hs := range s.cfg.Handlers {
		proto := hs.Protocol
		if proto == "" {
			proto = "json"
		}
		spec := s.specs[hs.Name]
		fmt.Fprintf(&b, "h_%s = Handler(send_spec=%s, send_ident=%s, recv_spec=%s, recv_ident=%s, protocol=%s)\n",
			hs.Name, quote(spec[0]), quote(hs.ident()), quote(spec[1]), quote(hs.RecvIdent), quote(proto))
	}
	if len(s.cfg.Hosts) == 0 {
		return "", errors.New("harness: config without hosts")
	}
	var hosts []string
	for _, h := range s.cfg.Hosts {
		var routes []string
		for _, path := range slices.Sorted(maps.Keys(h.Routes)) {
			routes = append(routes, fmt.Sprintf("\n            %s: h_%s", quote(path), h.Routes[path]))
		}
		matching := ""
		if h.Matching != "" {
			matching = ", matching=" + quote(h.Matching)
		}
		hosts = append(hosts, fmt.Sprintf("\n        Host(name=%s%s, routes={%s\n        })", quote(h.Name), matching, strings.Join(routes, "")))
	}
	fmt.Fprintf(&b, `main = Server(
    uuid=%s,
    access_log="logs/access.log",
    error_log="logs/error.log",
    pid_file="run/mongrel2.pid",
    chroot="",
    default_host=%s,
    name="main",
    bind_addr="127.0.0.1",
    port=%s,
    hosts=[%s
    ]
)
`, quote(ServerUUID), quote(s.cfg.Hosts[0].Name), s.Addr[strings.LastIndexByte(s.Addr, ':')+1:], strings.Join(hosts, ""))
	settings := map[string]string{"server.daemonize": "0"}
	for k, v := range s.cfg.Settings {
		settings[k] = v
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			v = quote(v)
		}
		kv = append(kv, fmt.Sprintf("%s: %s", quote(k), v))
	}
	fmt.Fprintf(&b, "settings = {%s}\nservers = [main]\n", strings.Join(kv, ", "))
	return b.String(), nil
}

// quote wraps s for mongrel2.conf, which has no escapes: backslashes are
// stored verbatim, so route patterns like /pat/(\d+) go through unchanged.
func quote(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// handedOut remembers every port freePort gave in this test process: the
// kernel may offer a port again as soon as its probe listener is closed,
// and one config must never get the same port twice (the HTTP listener
// and a handler socket once collided that way).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort asks the kernel for a free loopback port that this process has
// not handed out before. Another process may still take it before the
// server binds; start-up then fails loudly.
func freePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		handedOut.Lock()
		fresh := !handedOut.ports[port]
		handedOut.ports[port] = true
		handedOut.Unlock()
		if fresh {
			return port
		}
	}
	t.Fatal("harness: no fresh loopback port")
	return 0
}

// syncBuffer is a bytes.Buffer safe for the process's writer goroutines and
// the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
