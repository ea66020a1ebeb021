package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/procfs"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// account is who a process runs as.
type account struct {
	cred *syscall.Credential // nil: the worker's own user
	name string
	home string
}

// account resolves a configured user. Without root the worker cannot
// switch users, so everything runs as itself (said once in New's log).
func (w *Worker) account(name string) (account, error) {
	if !w.asRoot {
		return w.ownAccount()
	}
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("user %q: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return account{}, fmt.Errorf("user %q: non-numeric uid or gid", name)
	}
	return account{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		name: u.Username,
		home: u.HomeDir,
	}, nil
}

// ownAccount is the worker's own user.
func (w *Worker) ownAccount() (account, error) {
	cur, err := user.Current()
	if err != nil {
		return account{}, fmt.Errorf("current user: %w", err)
	}
	return account{name: cur.Username, home: cur.HomeDir}, nil
}

// environ is the process environment: a fixed base, then the configured
// variables. The worker's own environment is not passed on.
func environ(p spec.Proc, a account) []string {
	env := []string{
		"PATH=" + defaultPath,
		"HOME=" + a.home,
		"USER=" + a.name,
		"LOGNAME=" + a.name,
		"DIPROCD_PROC=" + p.Name,
		"DIPROCD_TYPE=" + p.Type,
	}
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	return env
}

// logFiles opens the process's stdout and stderr files for appending. The
// worker closes its copies once the process has started, so nothing the
// process writes depends on the worker being alive.
func (w *Worker) logFiles(p spec.Proc) (stdout, stderr *os.File, err error) {
	out := p.StdoutLog
	if out == "" && w.cfg.LogDir != "" {
		out = filepath.Join(w.cfg.LogDir, p.Name+".log")
	}
	if out == "" {
		out = os.DevNull
	}
	open := func(path string) (*os.File, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		return f, nil
	}
	if stdout, err = open(out); err != nil {
		return nil, nil, err
	}
	if p.StderrLog == "" || p.StderrLog == out {
		return stdout, stdout, nil
	}
	if stderr, err = open(p.StderrLog); err != nil {
		stdout.Close()
		return nil, nil, err
	}
	return stdout, stderr, nil
}

// start execs p in a new session (so in its own process group) as its
// user, and watches its exit from a goroutine.
func (w *Worker) start(p spec.Proc) (*instance, error) {
	a, err := w.account(p.User)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := w.logFiles(p)
	if err != nil {
		return nil, err
	}
	defer func() {
		stdout.Close()
		if stderr != stdout {
			stderr.Close()
		}
	}()
	cmd := exec.Command(p.Command, p.Args...)
	cmd.Dir = p.Cwd
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Env = environ(p, a)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: a.cred}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{PID: cmd.Process.Pid, StartedAt: time.Now(), Hash: p.Hash(), Spec: p, user: a.name, child: true, exitCode: -1}
	// Until Wait is called the process cannot vanish (at worst it is a
	// zombie), so its start time is always readable here.
	if st, err := procfs.ReadStat(in.PID); err == nil {
		in.Start = st.StartTime
	}
	go func() {
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		w.exits <- exitEvent{pid: in.PID, code: code}
	}()
	return in, nil
}

// runReadyCommand runs p's ready_command as p's user and reports whether
// it exited with status 0 within five seconds.
func (w *Worker) runReadyCommand(pid int, p spec.Proc) {
	ok := false
	defer func() { w.readies <- readyEvent{pid: pid, ok: ok} }()
	a, err := w.account(p.User)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.ReadyCommand[0], p.ReadyCommand[1:]...)
	cmd.Dir = p.Cwd
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Env = append(environ(p, a), "DIPROCD_PID="+strconv.Itoa(pid))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: a.cred}
	ok = cmd.Run() == nil
	if !ok {
		time.Sleep(200 * time.Millisecond) // pace the retries
	}
}
