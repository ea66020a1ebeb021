package worker

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

// handoverFixture is a worker with a type "web" of two slots whose wanted
// description (v2) has a switch_command, and instances built for either
// description. No process is started or signalled.
type handoverFixture struct {
	w      *Worker
	v1, v2 spec.Proc // web.1's descriptions; web.2's differ by name only
}

func newHandoverFixture(t *testing.T, switchCmd ...string) *handoverFixture {
	t.Helper()
	w := &Worker{log: discard(), slots: map[string]*slot{}, types: map[string]*typeState{}, switches: make(chan switchEvent, 4)}
	mk := func(arg string) spec.Proc {
		return spec.Proc{Name: "web.1", Type: "web", Command: "/srv/web", Args: []string{arg}, SwitchCommand: switchCmd}.WithDefaults()
	}
	f := &handoverFixture{w: w, v1: mk("v1"), v2: mk("v2")}
	for _, name := range []string{"web.1", "web.2"} {
		want := f.named(f.v2, name)
		w.slots[name] = &slot{name: name, want: &want, wantHash: want.Hash()}
	}
	w.typ("web").served = typeHash(f.v1)
	return f
}

func (f *handoverFixture) named(p spec.Proc, name string) spec.Proc {
	p.Name = name
	return p
}

// inst returns an instance of p under the slot's name.
func (f *handoverFixture) inst(name string, p spec.Proc, pid int, ready bool) *instance {
	p = f.named(p, name)
	return &instance{PID: pid, Hash: p.Hash(), Spec: p, Ready: ready, child: true}
}

func TestStartSwitches(t *testing.T) {
	type setup func(f *handoverFixture)
	both := func(ready1, ready2 bool) setup {
		return func(f *handoverFixture) {
			f.w.slots["web.1"].cur, f.w.slots["web.1"].next = f.inst("web.1", f.v1, 11, true), f.inst("web.1", f.v2, 21, ready1)
			f.w.slots["web.2"].cur, f.w.slots["web.2"].next = f.inst("web.2", f.v1, 12, true), f.inst("web.2", f.v2, 22, ready2)
		}
	}
	tests := []struct {
		name    string
		cmd     []string
		setup   setup
		wantRun bool
	}{
		{"all new instances ready", []string{"/bin/true"}, both(true, true), true},
		{"one still starting", []string{"/bin/true"}, both(true, false), false},
		{"one in backoff", []string{"/bin/true"}, func(f *handoverFixture) {
			both(true, true)(f)
			f.w.slots["web.2"].next = nil
		}, false},
		{"one exited for good", []string{"/bin/true"}, func(f *handoverFixture) {
			both(true, true)(f)
			f.w.slots["web.2"].cur, f.w.slots["web.2"].next, f.w.slots["web.2"].final = nil, nil, proto.StateExited
		}, true},
		{"restart of the description in service", []string{"/bin/true"}, func(f *handoverFixture) {
			both(true, true)(f)
			f.w.typ("web").served = typeHash(f.v2)
		}, false},
		{"a switch already running", []string{"/bin/true"}, func(f *handoverFixture) {
			both(true, true)(f)
			f.w.typ("web").switching = typeHash(f.v2)
		}, false},
		{"retry not yet due", []string{"/bin/true"}, func(f *handoverFixture) {
			both(true, true)(f)
			f.w.typ("web").retryAt = time.Now().Add(time.Minute)
		}, false},
		{"first start, front end unknown", []string{"/bin/true"}, func(f *handoverFixture) {
			f.w.slots["web.1"].next = f.inst("web.1", f.v2, 21, true)
			f.w.slots["web.2"].next = f.inst("web.2", f.v2, 22, true)
			f.w.typ("web").served = ""
		}, true},
		{"no switch_command", nil, both(true, true), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHandoverFixture(t, tt.cmd...)
			tt.setup(f)
			running := f.w.typ("web").switching
			f.w.startSwitches(time.Now())
			started := running == "" && f.w.typ("web").switching != ""
			if started != tt.wantRun {
				t.Fatalf("switch started: %v, want %v", started, tt.wantRun)
			}
			if !started {
				return
			}
			select {
			case ev := <-f.w.switches:
				if ev.err != nil || ev.typ != "web" || ev.hash != typeHash(f.v2) {
					t.Errorf("event %+v", ev)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the switch_command never reported")
			}
		})
	}
}

func TestSwitched(t *testing.T) {
	f := newHandoverFixture(t, "/bin/false")
	f.w.slots["web.1"].cur, f.w.slots["web.1"].next = f.inst("web.1", f.v1, 11, true), f.inst("web.1", f.v2, 21, true)
	ts := f.w.typ("web")
	h := typeHash(f.v2)
	now := time.Now()
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		ts.switching, ts.target = h, h
		f.w.switched(switchEvent{typ: "web", hash: h, err: errors.New("exit status 1")}, now)
		if ts.failures != i+1 || ts.retryAt.Sub(now) != want || ts.switching != "" || ts.served == h {
			t.Fatalf("failure %d: %+v, want a retry in %v", i+1, ts, want)
		}
	}
	st := f.w.slots["web.1"].status(now, ts)
	if st.State != proto.StateReloadFailed || st.PID != 11 || !strings.Contains(st.LastError, "exit status 1") || !st.NextStartAt.Equal(ts.retryAt) {
		t.Errorf("status after failures: %+v", st)
	}
	if !f.w.needsSwitch(f.w.slots["web.1"].next) || f.w.handingOver(f.w.slots["web.1"].next) {
		t.Error("after a failed switch the new instance must still wait, and may be stopped if superseded")
	}

	ts.switching = h
	f.w.switched(switchEvent{typ: "web", hash: h}, now)
	if ts.served != h || ts.failures != 0 || ts.lastErr != "" || ts.drainUntil.Sub(now) != spec.DefaultDrainTime.D() {
		t.Errorf("after success: %+v", ts)
	}
	if f.w.needsSwitch(f.w.slots["web.1"].next) || !f.w.handingOver(f.w.slots["web.1"].next) {
		t.Error("after the switch the new instance is in service")
	}
	if st := f.w.slots["web.1"].status(now, ts); st.State != proto.StateReloading {
		t.Errorf("draining: %s, want %s", st.State, proto.StateReloading)
	}
}
