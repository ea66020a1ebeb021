package worker

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/spec"
)

// The hand-over of a process type with a switch_command (blue/green):
//
//  1. each slot starts its new instance as usual; the old one serves on;
//  2. a ready new instance is not put in service while the front end may
//     still be routing to the old description (needsSwitch);
//  3. once every slot of the type has a ready new instance, the
//     switch_command runs, once for the type (startSwitches);
//  4. when it succeeds the front end sends new requests to the new
//     instances; the old ones get drain_time to answer what was already
//     queued to them (typeState.drainUntil), then reconcile stops them;
//  5. when it fails, old and new instances all keep running (the front
//     end may have been switched halfway), the slots show
//     reload-failed, and the switch is retried with the type's backoff.
//
// A new instance that merely restarts the description in service needs no
// switch, nor does one whose description has no switch_command.

// maxSwitchOutput bounds what is kept of a switch_command's output for
// the log.
const maxSwitchOutput = 4096

func (w *Worker) typ(name string) *typeState {
	ts := w.types[name]
	if ts == nil {
		ts = &typeState{}
		w.types[name] = ts
	}
	return ts
}

// typeHash identifies a description independently of the instance name,
// so that web.1 and web.2 of one deploy have the same.
func typeHash(p spec.Proc) string {
	p.Name = p.Type
	return p.Hash()
}

// needsSwitch reports whether in must wait for a switch_command before it
// serves: its description has one and is not the one the front end was
// last switched to (or the worker does not know which that is).
func (w *Worker) needsSwitch(in *instance) bool {
	return len(in.Spec.SwitchCommand) > 0 && w.typ(in.Spec.Type).served != typeHash(in.Spec)
}

// handingOver reports whether in is, or may be, what the front end sends
// to: its switch_command is running or has succeeded. Such an instance is
// not stopped for being superseded; it is put in service first and
// replaced afterwards like any other.
func (w *Worker) handingOver(in *instance) bool {
	if len(in.Spec.SwitchCommand) == 0 || !in.Ready {
		return false
	}
	ts, h := w.typ(in.Spec.Type), typeHash(in.Spec)
	return ts.switching == h || ts.served == h
}

// startSwitches runs the switch_command of every process type whose
// wanted instances are all ready and some of which wait for a switch.
func (w *Worker) startSwitches(now time.Time) {
	byType := map[string][]*slot{}
	for _, s := range w.slots {
		if s.want != nil {
			byType[s.want.Type] = append(byType[s.want.Type], s)
		}
	}
	for name, slots := range byType {
		ts := w.typ(name)
		if ts.switching != "" || now.Before(ts.retryAt) {
			continue
		}
		var waiting []*instance
		all := true
		for _, s := range slots {
			switch {
			case s.next != nil && s.next.Ready && s.next.Hash == s.wantHash:
				if w.needsSwitch(s.next) {
					waiting = append(waiting, s.next)
				}
			case s.next == nil && s.cur != nil && s.cur.Hash == s.wantHash:
				// serving the wanted description already
			case s.next == nil && s.cur == nil && s.final != "":
				// exited for good: nothing to wait for
			default:
				all = false // starting, or in backoff
			}
		}
		if len(waiting) == 0 || !all {
			continue
		}
		p := waiting[0].Spec
		h := typeHash(p)
		if ts.target != h {
			ts.target, ts.failures, ts.lastErr = h, 0, ""
		}
		ts.switching = h
		pids := make([]int, len(waiting))
		for i, in := range waiting {
			pids[i] = in.PID
		}
		sort.Ints(pids)
		w.log.Info("new instances ready, running switch_command", "type", name, "pids", pids, "command", p.SwitchCommand)
		go w.runSwitch(name, h, p, pids)
	}
}

// switched records the outcome of a switch_command.
func (w *Worker) switched(ev switchEvent, now time.Time) {
	ts := w.typ(ev.typ)
	ts.switching = ""
	out := strings.TrimSpace(string(ev.output))
	if ev.err != nil {
		ts.failures++
		ts.lastErr = "switch_command failed: " + ev.err.Error()
		p := w.typeSpec(ev.typ)
		delay := backoffDelay(p, ts.failures)
		ts.retryAt = now.Add(delay)
		w.log.Error("switch_command failed: reload not done; the old instances keep serving, the new ones wait for a retry",
			"type", ev.typ, "err", ev.err, "output", out, "failures", ts.failures, "retry_in", delay)
		return
	}
	ts.served, ts.failures, ts.lastErr, ts.retryAt = ev.hash, 0, "", time.Time{}
	drain := w.typeSpec(ev.typ).DrainTime.D()
	ts.drainUntil = now.Add(drain)
	w.log.Info("switched, draining the old instances", "type", ev.typ, "drain_time", drain, "output", out)
}

// typeSpec returns the wanted description of a type (any of its slots),
// or the defaults if none is wanted any more.
func (w *Worker) typeSpec(name string) spec.Proc {
	for _, s := range w.slots {
		if s.want != nil && s.want.Type == name {
			return *s.want
		}
	}
	return spec.Proc{}.WithDefaults()
}

// runSwitch runs p's switch_command and reports the outcome on
// w.switches. It runs as the worker's own user, in /, with the worker's
// fixed environment and none of the process's variables: the command
// reconfigures the front end, which the processes' users usually cannot
// do, and the processes' variables (application settings) must not be
// able to steer a privileged command (PATH, LD_PRELOAD). The command gets
// its own process group, killed whole at the timeout.
func (w *Worker) runSwitch(typ, hash string, p spec.Proc, pids []int) {
	var out cappedBuffer
	err := func() error {
		a, err := w.ownAccount()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.SwitchTimeout.D())
		defer cancel()
		cmd := exec.CommandContext(ctx, p.SwitchCommand[0], p.SwitchCommand[1:]...)
		cmd.Dir = "/"
		pidList := make([]string, len(pids))
		for i, pid := range pids {
			pidList[i] = strconv.Itoa(pid)
		}
		cmd.Env = []string{
			"PATH=" + defaultPath,
			"HOME=" + a.home,
			"USER=" + a.name,
			"LOGNAME=" + a.name,
			"DIPROCD_TYPE=" + typ,
			"DIPROCD_PIDS=" + strings.Join(pidList, " "),
		}
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = time.Second
		err = cmd.Run()
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("no answer within switch_timeout %v", p.SwitchTimeout.D())
		}
		return err
	}()
	w.switches <- switchEvent{typ: typ, hash: hash, output: out.Bytes(), err: err}
}

// cappedBuffer keeps the first maxSwitchOutput bytes written to it and
// discards the rest, so a chatty command cannot fill the worker's memory.
type cappedBuffer struct{ buf bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxSwitchOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }
