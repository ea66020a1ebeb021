package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bareku/bareku/config"
)

// envDaemonChild marks the re-executed child of a daemonizing server; the
// listening socket arrives as file descriptor 3.
const envDaemonChild = "BAREKU_DAEMON_CHILD"

// envUpgradeChild marks the new process of a binary upgrade (SIGUSR2): the
// listening socket arrives as file descriptor 3 and the handover socket as
// file descriptor 4.
const envUpgradeChild = "BAREKU_UPGRADE_CHILD"

// upgradeWait bounds how long an upgrade waits for handlers to answer the
// requests in flight before handing their connections over anyway.
const upgradeWait = 5 * time.Second

// Main runs the mongrel2 command: `mongrel2 <config.sqlite> <server_uuid>`.
// It follows Mongrel2's startup sequence (spec §10.1) and returns the exit
// status: 0 after a clean shutdown, 1 when startup fails.
func Main(args []string, stderr io.Writer) int {
	console := slog.New(NewLogHandler(stderr, slog.LevelInfo))
	fail := func(msg string, args ...any) int {
		console.Error(msg, args...)
		console.Error("Exiting due to error.")
		return 1
	}
	if len(args) == 3 {
		return fail("config modules are not supported; use a SQLite config database", "module", args[2])
	}
	if len(args) != 2 {
		return fail("usage: mongrel2 config.sqlite server_uuid")
	}
	snap, err := config.Load(args[0], args[1])
	if err != nil {
		return fail("could not load the config", "err", err)
	}
	p := newProcess(snap, console)
	p.dbPath, p.uuid, p.args = args[0], args[1], args
	p.exe, _ = os.Executable() // resolved now: an upgrade execs whatever is at this path then
	if err := p.run(); err != nil {
		return fail(err.Error())
	}
	return 0
}

// process holds the OS-facing side of one server run: paths after the
// chroot decision, the pid file, the log files and signals.
type process struct {
	snap       *config.Snapshot
	srv        *Server
	dbPath     string // as given on the command line; see reloadPath
	args       []string
	exe        string
	uuid       string
	absDB      string // dbPath made absolute before any chroot
	absChroot  string
	handedOver bool // a binary upgrade passed everything to a new process
	log        *slog.Logger
	console    *slog.Logger
	chroot     bool // really chrooted (running as root)
	pidPath    string
	errorPath  string // "" keeps diagnostics on stderr
	access     *LogFile
	errorLog   *LogFile
}

func newProcess(snap *config.Snapshot, console *slog.Logger) *process {
	sv := snap.Server
	p := &process{snap: snap, log: console, console: console,
		pidPath: sv.PidFile, errorPath: sv.ErrorLog}
	accessPath := sv.AccessLog
	if sv.Chroot != "" {
		if os.Geteuid() == 0 {
			p.chroot = true
		} else {
			// Mongrel2's "test mode" when chroot() is refused: logs stay on
			// stderr, paths are taken relative to the current directory.
			accessPath = sv.Chroot + sv.AccessLog
			p.pidPath = "." + sv.PidFile
			p.errorPath = ""
		}
	}
	p.access = NewLogFile(accessPath)
	return p
}

func (p *process) run() error {
	sv := p.snap.Server
	st := p.snap.Settings
	child := os.Getenv(envDaemonChild) == "1"
	upgrading := os.Getenv(envUpgradeChild) == "1"

	ln, err := p.listen(child || upgrading)
	if err != nil {
		return err
	}
	raiseFileLimit(st.MaxFD, p.log)
	hostPid := p.pidPath
	if p.chroot {
		hostPid = strings.TrimSuffix(sv.Chroot, "/") + "/" + strings.TrimPrefix(sv.PidFile, "/")
	}
	if !upgrading {
		if err := checkPidFile(hostPid); err != nil {
			ln.Close()
			return err
		}
	}
	if st.Daemonize && !child && !upgrading {
		return p.daemonize(ln)
	}

	srv, err := New(p.snap, Options{Logger: p.log, AccessLog: p.access, DeferHandlers: upgrading})
	if err != nil {
		ln.Close()
		return err
	}
	p.srv = srv
	p.absDB, _ = filepath.Abs(p.dbPath)
	p.absChroot, _ = filepath.Abs(sv.Chroot)
	var owner *syscall.Stat_t
	if p.chroot {
		fi, err := os.Stat(sv.Chroot)
		if err != nil {
			return fmt.Errorf("chroot %s: %w", sv.Chroot, err)
		}
		owner, _ = fi.Sys().(*syscall.Stat_t)
		if err := syscall.Chroot(sv.Chroot); err != nil {
			return fmt.Errorf("chroot %s: %w", sv.Chroot, err)
		}
		if err := os.Chdir("/"); err != nil {
			return fmt.Errorf("chdir / in chroot: %w", err)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR2)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Stop(sigs)

	served := make(chan error, 1)
	if upgrading {
		// Take over from the old process: accept at once, receive its
		// connections, and bind the handler sockets once it let go.
		go func() { served <- srv.Serve(ln) }()
		n, err := p.adopt(srv)
		if err != nil {
			p.log.Error("upgrade: adopting connections failed", "err", err)
		}
		p.log.Info("upgrade: took over from the previous process", "connections", n)
		os.Remove(p.pidPath) // the old process removes it; a crashed one may not have
	}
	if err := writePidFile(p.pidPath); err != nil {
		srv.Close()
		return err
	}
	defer func() {
		if !p.handedOver {
			os.Remove(p.pidPath)
		}
	}()
	if p.errorPath != "" {
		lf, err := OpenLogFile(p.errorPath)
		if err != nil {
			srv.Close()
			return fmt.Errorf("open error log %s: %w", p.errorPath, err)
		}
		p.errorLog = lf
		p.log = slog.New(NewLogHandler(lf, slog.LevelInfo))
		srv.log = p.log
		defer lf.Close()
	}
	if owner != nil && (owner.Uid != 0 || owner.Gid != 0) {
		if err := dropPrivileges(int(owner.Uid), int(owner.Gid)); err != nil {
			srv.Close()
			return err
		}
	}
	if !st.DisableAccessLogging {
		if err := p.access.Reopen(); err != nil {
			p.log.Error("could not open access log", "path", p.access.path, "err", err)
		}
	}
	defer p.access.Close()

	if err := srv.StartControl(sv.ControlPort, nil); err != nil {
		p.log.Warn("control port disabled", "endpoint", sv.ControlPort, "err", err)
	}

	if !upgrading {
		go func() { served <- srv.Serve(ln) }()
	}
	p.log.Info("-- Bareku ("+ServerVersion+" compatible) Running.",
		"addr", ln.Addr().String(), "uuid", sv.UUID)

	for {
		select {
		case err := <-served:
			srv.Close()
			if err != nil {
				return err
			}
			return nil
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				p.reopenLogs()
				p.reload()
				continue
			}
			if sig == syscall.SIGUSR2 {
				if err := p.upgrade(ln); err != nil {
					p.log.Error("upgrade failed; this process keeps serving", "err", err)
					continue
				}
				return nil
			}
			p.log.Info("shutting down", "signal", sig.String())
			go func() {
				// A second INT or TERM during shutdown exits at once, as
				// Mongrel2 does.
				for s := range sigs {
					if s != syscall.SIGHUP {
						os.Remove(p.pidPath)
						os.Exit(int(s.(syscall.Signal)))
					}
				}
			}()
			srv.Close()
			<-served
			p.log.Info("shutdown complete")
			return nil
		}
	}
}

func (p *process) reopenLogs() {
	if p.errorLog != nil {
		if err := p.errorLog.Reopen(); err != nil {
			p.log.Error("could not reopen error log", "err", err)
		}
	}
	if !p.snap.Settings.DisableAccessLogging {
		if err := p.access.Reopen(); err != nil {
			p.log.Error("could not reopen access log", "err", err)
		}
	}
	p.log.Info("reopened log files")
}

// adopt receives the old process's connections on file descriptor 4.
func (p *process) adopt(srv *Server) (int, error) {
	f := os.NewFile(4, "handover")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		srv.StartHandlers()
		return 0, err
	}
	defer c.Close()
	uc, ok := c.(*net.UnixConn)
	if !ok {
		srv.StartHandlers()
		return 0, errors.New("handover descriptor is not a unix socket")
	}
	return srv.Adopt(uc)
}

// upgrade starts the binary now at p.exe as the new server process and
// hands everything over to it (SIGUSR2). It returns nil when this process
// is done and must exit; on an error before the handover began it keeps
// serving.
func (p *process) upgrade(ln net.Listener) error {
	if p.chroot {
		return errors.New("binary upgrade is not supported for a chrooted server")
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return errors.New("listener is not TCP")
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "handover")
	theirs := os.NewFile(uintptr(fds[1]), "handover-child")
	defer theirs.Close()
	nc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return fmt.Errorf("handover socket: %w", err)
	}
	sock := nc.(*net.UnixConn)
	defer sock.Close()
	lnFile, err := tl.File()
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	defer lnFile.Close()

	cmd := exec.Command(p.exe, p.args...)
	cmd.Env = append(os.Environ(), envUpgradeChild+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{lnFile, theirs}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.exe, err)
	}
	p.log.Info("upgrade: started the new process", "exe", p.exe, "pid", cmd.Process.Pid)
	buf := make([]byte, 256)
	sock.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := sock.Read(buf)
	var st handoverState
	if err == nil {
		err = json.Unmarshal(buf[:n], &st)
	}
	if err != nil || !st.Ready {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("the new process did not get ready: %v", err)
	}
	sock.SetReadDeadline(time.Time{})
	cmd.Process.Release()

	p.srv.StopAccepting()
	handed, err := p.srv.Handover(sock, upgradeWait)
	if err != nil {
		p.log.Error("upgrade: handover incomplete", "err", err)
	}
	p.log.Info("upgrade: handed over", "connections", handed)
	p.srv.Close()
	os.Remove(p.pidPath)
	p.handedOver = true
	released, _ := json.Marshal(handoverState{Released: true})
	if _, err := sock.Write(released); err != nil {
		p.log.Error("upgrade: could not tell the new process", "err", err)
	}
	return nil
}

// reload re-reads the config database and applies it (beyond Mongrel2
// 1.12, whose SIGHUP only reopens logs). A database that does not load or
// does not build is rejected and the running config stays.
func (p *process) reload() {
	path, err := p.reloadPath()
	if err == nil {
		var snap *config.Snapshot
		if snap, err = config.Load(path, p.uuid); err == nil {
			err = p.srv.Reload(snap)
		}
	}
	if err != nil {
		p.log.Error("reload rejected; the previous config keeps serving", "db", p.dbPath, "err", err)
	}
}

// reloadPath is where the config database is seen from now: after a chroot
// it must lie inside the chroot directory.
func (p *process) reloadPath() (string, error) {
	if !p.chroot {
		return p.dbPath, nil
	}
	root := p.absChroot
	rel, err := filepath.Rel(root, p.absDB)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("config database %s is outside the chroot %s", p.absDB, root)
	}
	return "/" + rel, nil
}

// listen binds bind_addr:port, or takes over the listener passed by the
// parent of a daemonized server.
func (p *process) listen(child bool) (net.Listener, error) {
	if child {
		f := os.NewFile(3, "listener")
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("inherited listener: %w", err)
		}
		return ln, nil
	}
	sv := p.snap.Server
	if sv.Port <= 0 {
		return nil, fmt.Errorf("server %s: port must be > 0, got %d", sv.UUID, sv.Port)
	}
	network := "tcp"
	if ip := net.ParseIP(sv.BindAddr); ip != nil {
		network = "tcp6"
		if ip.To4() != nil {
			network = "tcp4"
		}
	}
	addr := net.JoinHostPort(sv.BindAddr, strconv.Itoa(sv.Port))
	lc := net.ListenConfig{KeepAlive: -1} // SO_KEEPALIVE only with net.tcp_keepalive=1
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// daemonize re-executes this program in a new session with the listener as
// fd 3 and returns, so the parent exits 0 like Mongrel2's daemon().
func (p *process) daemonize(ln net.Listener) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return errors.New("daemonize: listener is not TCP")
	}
	f, err := tl.File()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	defer f.Close()
	ln.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	defer devnull.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envDaemonChild+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	return cmd.Process.Release()
}

// checkPidFile refuses to start when path names a live process and removes
// a stale pid file.
func checkPidFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		return fmt.Errorf("process %d is still running (pid file %s)", pid, path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale pid file %s: %w", path, err)
	}
	return nil
}

// writePidFile writes the decimal pid without a newline; it fails if the
// file exists.
func writePidFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	_, err = f.WriteString(strconv.Itoa(os.Getpid()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// dropPrivileges switches to the owner of the chroot directory.
func dropPrivileges(uid, gid int) error {
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("drop privileges: setgroups: %w", err)
	}
	if err := syscall.Setregid(gid, gid); err != nil {
		return fmt.Errorf("drop privileges: setregid %d: %w", gid, err)
	}
	if err := syscall.Setreuid(uid, uid); err != nil {
		return fmt.Errorf("drop privileges: setreuid %d: %w", uid, err)
	}
	return nil
}

// raiseFileLimit asks for superpoll.max_fd open files, as Mongrel2 does.
func raiseFileLimit(want int, log *slog.Logger) {
	var lim syscall.Rlimit
	if want <= 0 || syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur >= uint64(want) {
		return
	}
	lim.Cur = uint64(want)
	if lim.Max < lim.Cur {
		lim.Max = lim.Cur
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("could not raise the open file limit", "want", want, "err", err)
	}
}
