package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/procfs"
	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

// removalWait bounds how long a process removed from the list waits for
// the processes being started in its place to become ready.
const removalWait = 30 * time.Second

// statusEvery is how often the status file is rewritten even when nothing
// changed, so that the client can tell a live worker from a dead one.
const statusEvery = time.Second

// instance is one running (or recently running) process.
type instance struct {
	PID       int       `json:"pid"`
	Start     uint64    `json:"start"` // /proc start time, ticks after boot
	StartedAt time.Time `json:"started_at"`
	Hash      string    `json:"hash"`
	Ready     bool      `json:"ready"`
	Spec      spec.Proc `json:"spec"` // with defaults; how to stop it

	user     string // who it runs as
	child    bool   // our child: its exit arrives from cmd.Wait
	exited   bool
	exitCode int  // -1 when unknown (not our child, or killed by a signal)
	checking bool // a ready_command is running
	stopping bool
	stopAt   time.Time // SIGKILL after this
	killed   bool
}

// slot is one process name: the wanted description and the instances
// that run (or ran) under that name.
type slot struct {
	name     string
	want     *spec.Proc // nil once removed from the list
	wantHash string
	cur      *instance   // serving
	next     *instance   // starting, replaces cur once ready
	old      []*instance // being stopped

	restarts  int
	failures  int // consecutive failed runs, for the backoff
	nextStart time.Time
	final     string // StateExited or "" once restarts ended
	lastErr   string
	startErr  bool // the last attempt failed to exec
	removedAt time.Time
}

type exitEvent struct {
	pid  int
	code int
}

type readyEvent struct {
	pid int
	ok  bool
}

// typeState is what the worker knows of a process type as a whole for the
// switch_command hand-over: all instances of a type sit behind the same
// front-end route, so the front end is switched once for all of them.
type typeState struct {
	served     string    // type hash of the description in service; "" unknown
	switching  string    // type hash a switch_command is running for
	target     string    // type hash of the last switch attempted
	failures   int       // consecutive failed switches to target
	retryAt    time.Time // no new attempt before this
	lastErr    string
	drainUntil time.Time // old instances are stopped after this
}

type switchEvent struct {
	typ, hash string
	output    []byte
	err       error
}

// Worker reconciles the processes of one node with its configuration
// file. Create it with New and drive it with Run.
type Worker struct {
	confFile string
	log      *slog.Logger
	cfg      *spec.Worker
	stamp    fileStamp
	bootID   string
	asRoot   bool
	slots    map[string]*slot
	types    map[string]*typeState
	exits    chan exitEvent
	readies  chan readyEvent
	switches chan switchEvent

	lastState  []byte
	lastStatus []byte
	statusAt   time.Time
}

// New loads confFile and re-adopts the processes recorded in its state
// file that are still alive and still the same processes. It neither
// starts nor stops anything: that happens in Run.
func New(confFile string, log *slog.Logger) (*Worker, error) {
	cfg, err := spec.LoadWorker(confFile)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	boot, err := procfs.BootID()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	w := &Worker{
		confFile: confFile,
		log:      log,
		cfg:      cfg,
		stamp:    stampOf(confFile),
		bootID:   boot,
		asRoot:   os.Geteuid() == 0,
		slots:    map[string]*slot{},
		types:    map[string]*typeState{},
		exits:    make(chan exitEvent, 64),
		readies:  make(chan readyEvent, 64),
		switches: make(chan switchEvent, 16),
	}
	if !w.asRoot {
		log.Warn("worker not running as root: processes run as the current user whatever their configured user")
	}
	w.adopt()
	w.apply(cfg)
	return w, nil
}

// Run reconciles until ctx is done. wake, when it delivers, makes the
// worker look at its configuration file at once. Run leaves the processes
// running when it returns.
func (w *Worker) Run(ctx context.Context, wake <-chan struct{}) error {
	t := time.NewTicker(w.cfg.Tick.D())
	defer t.Stop()
	w.step(time.Now())
	for {
		select {
		case <-ctx.Done():
			w.saveState()
			w.writeStatus(time.Now(), true)
			return nil
		case ev := <-w.exits:
			w.markExit(ev)
		case ev := <-w.readies:
			w.markReady(ev)
		case ev := <-w.switches:
			w.switched(ev, time.Now())
		case <-wake:
			w.reload()
		case <-t.C:
			w.reload()
		}
		w.step(time.Now())
	}
}

// step reconciles every slot, starts the hand-overs that are due and
// records the result.
func (w *Worker) step(now time.Time) {
	// A new instance that is not serving yet (starting, or ready and
	// waiting for its hand-over) holds back the removal of others.
	starting := false
	for _, s := range w.slots {
		if s.next != nil {
			starting = true
		}
	}
	for name, s := range w.slots {
		w.reconcile(s, now, starting)
		if s.want == nil && s.cur == nil && s.next == nil && len(s.old) == 0 {
			delete(w.slots, name)
		}
	}
	w.startSwitches(now)
	w.saveState()
	w.writeStatus(now, false)
}

type fileStamp struct {
	mtime time.Time
	size  int64
	ino   uint64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return fileStamp{fi.ModTime(), fi.Size(), ino}
}

// reload re-reads the configuration file if it changed. A bad file is
// logged and ignored: the processes keep running as before.
func (w *Worker) reload() {
	st := stampOf(w.confFile)
	if st == w.stamp {
		return
	}
	w.stamp = st
	cfg, err := spec.LoadWorker(w.confFile)
	if err != nil {
		w.log.Error("ignoring bad configuration, keeping the current one", "err", err)
		return
	}
	w.log.Info("configuration changed", "version", cfg.Version, "procs", len(cfg.Procs))
	w.apply(cfg)
}

// apply diffs cfg against the slots: new names get slots, changed ones a
// new wanted description (a reload), missing ones are marked for removal.
func (w *Worker) apply(cfg *spec.Worker) {
	w.cfg = cfg
	seen := map[string]bool{}
	now := time.Now()
	for _, p := range cfg.Procs {
		p := p.WithDefaults()
		seen[p.Name] = true
		h := p.Hash()
		s := w.slots[p.Name]
		if s == nil {
			s = &slot{name: p.Name}
			w.slots[p.Name] = s
			w.log.Info("start", "proc", p.Name)
		} else if s.wantHash != h && s.want != nil {
			w.log.Info("reload", "proc", p.Name)
		}
		if s.wantHash != h {
			// A new description gets a fresh start, not the old backoff.
			s.failures, s.final, s.lastErr, s.startErr = 0, "", "", false
			s.nextStart = now
		}
		s.want, s.wantHash, s.removedAt = &p, h, time.Time{}
	}
	for name, s := range w.slots {
		if !seen[name] && s.want != nil {
			w.log.Info("stop", "proc", name)
			s.want, s.wantHash, s.removedAt = nil, "", now
		}
	}
	for name, s := range w.slots {
		if !seen[name] && s.want == nil && s.removedAt.IsZero() {
			s.removedAt = now // adopted but no longer wanted
		}
	}
}

// reconcile moves one slot towards its wanted state.
func (w *Worker) reconcile(s *slot, now time.Time, starting bool) {
	for _, in := range []*instance{s.cur, s.next} {
		w.checkAlive(in)
	}
	w.reapOld(s, now)

	if s.cur != nil && s.cur.exited {
		in := s.cur
		s.cur = nil
		w.crashed(s, in, now, "exited")
	}
	if s.next != nil && s.next.exited {
		in := s.next
		s.next = nil
		w.crashed(s, in, now, "exited before it was ready")
	}

	if s.want == nil {
		if starting && now.Sub(s.removedAt) < removalWait {
			return // stop only once what replaces it is ready
		}
		w.retire(s, &s.cur, now)
		w.retire(s, &s.next, now)
		return
	}
	if s.next != nil && s.next.Hash != s.wantHash && !w.handingOver(s.next) {
		w.retire(s, &s.next, now) // superseded while starting
	}
	if s.next == nil && s.final == "" && (s.cur == nil || s.cur.Hash != s.wantHash) && !now.Before(s.nextStart) {
		in, err := w.start(*s.want)
		if err != nil {
			s.lastErr, s.startErr = err.Error(), true
			w.backoff(s, 0, now)
			w.log.Error("cannot start", "proc", s.name, "err", err, "retry_in", s.nextStart.Sub(now).Round(time.Millisecond))
		} else {
			s.next, s.lastErr, s.startErr = in, "", false
			w.log.Info("started", "proc", s.name, "pid", in.PID, "user", in.user)
		}
	}
	if s.next != nil && !s.next.Ready {
		w.checkReady(s, now)
	}
	if s.next != nil && s.next.Ready && !w.needsSwitch(s.next) {
		ts := w.typ(s.next.Spec.Type)
		if s.cur != nil && now.Before(ts.drainUntil) {
			return // the old process answers what the front end already sent it
		}
		if s.cur != nil {
			w.log.Info("replacement ready, stopping the old process", "proc", s.name, "new_pid", s.next.PID, "old_pid", s.cur.PID)
			w.retire(s, &s.cur, now)
		}
		s.cur, s.next = s.next, nil
		ts.served = typeHash(s.cur.Spec)
	}
}

// checkReady decides whether s.next is ready: alive for ready_after and,
// if there is one, its ready_command succeeded. Past ready_timeout the
// new process counts as failed and the old one keeps serving.
func (w *Worker) checkReady(s *slot, now time.Time) {
	in := s.next
	age := now.Sub(in.StartedAt)
	if age > in.Spec.ReadyTimeout.D() {
		w.log.Error("not ready in time, stopping it", "proc", s.name, "pid", in.PID, "ready_timeout", in.Spec.ReadyTimeout.D())
		w.retire(s, &s.next, now)
		s.lastErr = "not ready within ready_timeout"
		w.backoff(s, age, now)
		return
	}
	if age < in.Spec.ReadyAfter.D() {
		return
	}
	if len(in.Spec.ReadyCommand) == 0 {
		in.Ready = true
		return
	}
	if !in.checking {
		in.checking = true
		go w.runReadyCommand(in.PID, in.Spec)
	}
}

// retire starts stopping *in (if any) and moves it to the old list.
func (w *Worker) retire(s *slot, in **instance, now time.Time) {
	if *in == nil {
		return
	}
	w.stop(*in, now)
	s.old = append(s.old, *in)
	*in = nil
}

// checkAlive notices the exit of a process that is not our child (an
// adopted one); our children's exits, with their status, come from Wait.
func (w *Worker) checkAlive(in *instance) {
	if in != nil && !in.exited && !in.child && !procfs.Alive(in.PID, in.Start) {
		in.exited = true
	}
}

// stop signals in's process group with its stop signal. Once the leader
// is gone its pid may be reused, so the group is only signalled while it
// still has members: the kernel does not hand out a pid that is still in
// use as a process group id.
func (w *Worker) stop(in *instance, now time.Time) {
	if in.stopping {
		return
	}
	in.stopping = true
	in.stopAt = now.Add(in.Spec.GracefulTimeout.D())
	if in.exited {
		if m, _ := procfs.GroupMembers(in.PID); len(m) == 0 {
			return
		}
	}
	sig, err := spec.ParseSignal(in.Spec.StopSignal)
	if err != nil {
		sig = syscall.SIGTERM
	}
	if err := syscall.Kill(-in.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		w.log.Error("signal", "pid", in.PID, "err", err)
	}
}

// reapOld forgets stopped instances whose whole group is gone, and kills
// the groups that outlived their graceful timeout.
func (w *Worker) reapOld(s *slot, now time.Time) {
	keep := s.old[:0]
	for _, in := range s.old {
		w.checkAlive(in)
		members, _ := procfs.GroupMembers(in.PID)
		if in.exited && len(members) == 0 {
			w.log.Info("stopped", "proc", s.name, "pid", in.PID)
			continue
		}
		if !in.killed && now.After(in.stopAt) && len(members) > 0 {
			w.log.Warn("graceful timeout passed, killing the process group", "proc", s.name, "pid", in.PID)
			syscall.Kill(-in.PID, syscall.SIGKILL)
			in.killed = true
		}
		keep = append(keep, in)
	}
	clear(s.old[len(keep):])
	s.old = keep
}

// crashed handles an instance that exited on its own.
func (w *Worker) crashed(s *slot, in *instance, now time.Time, what string) {
	uptime := now.Sub(in.StartedAt)
	w.stop(in, now) // take down what it left behind in its group
	s.old = append(s.old, in)
	s.restarts++
	p := in.Spec
	if s.want != nil {
		p = *s.want
	}
	if p.Restart == spec.RestartNever || (p.Restart == spec.RestartOnFailure && in.exitCode == 0) {
		s.final = proto.StateExited
		w.log.Info("exited, not restarting", "proc", s.name, "pid", in.PID, "code", in.exitCode, "restart", p.Restart)
		return
	}
	s.lastErr = fmt.Sprintf("%s (code %d) after %s", what, in.exitCode, uptime.Round(time.Millisecond))
	w.backoff(s, uptime, now)
	w.log.Warn("process "+what, "proc", s.name, "pid", in.PID, "code", in.exitCode,
		"uptime", uptime.Round(time.Millisecond), "restart_in", s.nextStart.Sub(now).Round(time.Millisecond), "failures", s.failures)
}

// backoff schedules the next start: initial × 2^(failures-1), capped at
// backoff_max; a run that lasted backoff_reset starts the count afresh.
func (w *Worker) backoff(s *slot, uptime time.Duration, now time.Time) {
	p := spec.Proc{}.WithDefaults()
	if s.want != nil {
		p = *s.want
	}
	if uptime >= p.BackoffReset.D() {
		s.failures = 0
	}
	s.failures++
	s.nextStart = now.Add(backoffDelay(p, s.failures))
}

// backoffDelay is p's delay after the given number of consecutive
// failures: backoff_initial × 2^(failures-1), capped at backoff_max.
func backoffDelay(p spec.Proc, failures int) time.Duration {
	d := p.BackoffInitial.D()
	for i := 1; i < failures && d < p.BackoffMax.D(); i++ {
		d *= 2
	}
	return min(d, p.BackoffMax.D())
}

func (w *Worker) find(pid int) *instance {
	for _, s := range w.slots {
		for _, in := range append([]*instance{s.cur, s.next}, s.old...) {
			if in != nil && in.PID == pid {
				return in
			}
		}
	}
	return nil
}

func (w *Worker) markExit(ev exitEvent) {
	if in := w.find(ev.pid); in != nil {
		in.exited, in.exitCode = true, ev.code
	}
}

func (w *Worker) markReady(ev readyEvent) {
	in := w.find(ev.pid)
	if in == nil {
		return
	}
	in.checking = false
	if ev.ok {
		in.Ready = true
	}
}

// state is the file that lets a restarted worker find its processes.
type state struct {
	BootID string   `json:"boot_id"`
	Procs  []record `json:"procs"`
}

type record struct {
	Name string `json:"name"`
	Role string `json:"role"` // cur, next or old
	instance
}

func (w *Worker) saveState() {
	st := state{BootID: w.bootID}
	names := make([]string, 0, len(w.slots))
	for n := range w.slots {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := w.slots[n]
		add := func(role string, in *instance) {
			if in != nil && !in.exited {
				st.Procs = append(st.Procs, record{Name: n, Role: role, instance: *in})
			}
		}
		add("cur", s.cur)
		add("next", s.next)
		for _, in := range s.old {
			add("old", in)
		}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if bytes.Equal(b, w.lastState) {
		return
	}
	if err := spec.WriteFileAtomic(w.cfg.StateFile, b, 0o600); err != nil {
		w.log.Error("cannot save state", "err", err)
		return
	}
	w.lastState = b
}

// adopt reads the state file and takes over every recorded process that is
// alive with the same start time in the same boot.
func (w *Worker) adopt() {
	b, err := os.ReadFile(w.cfg.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var st state
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		w.log.Error("cannot read state file, adopting nothing", "file", w.cfg.StateFile, "err", err)
		return
	}
	if st.BootID != w.bootID {
		w.log.Info("state file is from another boot, adopting nothing")
		return
	}
	now := time.Now()
	for _, r := range st.Procs {
		if !procfs.Alive(r.PID, r.Start) {
			w.log.Info("not re-adopting: gone, or its pid now belongs to another process", "proc", r.Name, "pid", r.PID)
			continue
		}
		in := r.instance
		in.exitCode = -1
		s := w.slots[r.Name]
		if s == nil {
			s = &slot{name: r.Name}
			w.slots[r.Name] = s
		}
		switch {
		case r.Role == "cur" && s.cur == nil:
			s.cur = &in
			// What serves is what the front end was last switched to.
			w.typ(in.Spec.Type).served = typeHash(in.Spec)
		case r.Role == "next" && s.next == nil:
			s.next = &in
		default:
			w.stop(&in, now)
			s.old = append(s.old, &in)
		}
		w.log.Info("re-adopted", "proc", r.Name, "pid", in.PID, "role", r.Role)
	}
}

// writeStatus leaves the process states for the client.
func (w *Worker) writeStatus(now time.Time, force bool) {
	ws := proto.WorkerStatus{PID: os.Getpid(), Version: w.cfg.Version}
	names := make([]string, 0, len(w.slots))
	for n := range w.slots {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := w.slots[n]
		var ts *typeState
		if s.want != nil {
			ts = w.types[s.want.Type]
		}
		ws.Procs = append(ws.Procs, s.status(now, ts))
	}
	procs, _ := json.Marshal(ws.Procs)
	if !force && bytes.Equal(procs, w.lastStatus) && now.Sub(w.statusAt) < statusEvery {
		return
	}
	ws.UpdatedAt = now
	b, _ := json.MarshalIndent(ws, "", "  ")
	if err := spec.WriteFileAtomic(w.cfg.StatusFile, b, 0o644); err != nil {
		w.log.Error("cannot write status", "err", err)
		return
	}
	w.lastStatus, w.statusAt = procs, now
}

// status is the slot's state; ts is its type's, nil if it has none.
func (s *slot) status(now time.Time, ts *typeState) proto.ProcStatus {
	ps := proto.ProcStatus{Name: s.name, Restarts: s.restarts, LastError: s.lastErr}
	if s.want != nil {
		ps.Type = s.want.Type
	}
	show := func(in *instance) { ps.PID, ps.StartedAt = in.PID, in.StartedAt }
	switch {
	case s.want == nil:
		ps.State = proto.StateStopping
	case ts != nil && ts.failures > 0 && ts.switching == "" && s.next != nil && s.next.Ready && typeHash(s.next.Spec) == ts.target:
		ps.State, ps.LastError = proto.StateReloadFailed, ts.lastErr
		if ts.retryAt.After(now) {
			ps.NextStartAt = ts.retryAt
		}
		if s.cur != nil {
			show(s.cur)
		} else {
			show(s.next)
		}
	case s.cur != nil && s.next != nil:
		ps.State = proto.StateReloading
		show(s.cur)
	case s.cur != nil:
		ps.State = proto.StateRunning
		show(s.cur)
	case s.next != nil:
		ps.State = proto.StateStarting
		show(s.next)
	case s.final != "":
		ps.State = s.final
	default:
		switch {
		case s.startErr:
			ps.State = proto.StateFailed
		case s.failures >= 2:
			ps.State = proto.StateCrashLoop
		default:
			ps.State = proto.StateBackoff
		}
		if s.nextStart.After(now) {
			ps.NextStartAt = s.nextStart
		}
	}
	return ps
}
