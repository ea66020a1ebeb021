package worker

import (
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

func TestBackoff(t *testing.T) {
	p := spec.Proc{Name: "x", Command: "x", BackoffInitial: spec.Duration(100 * time.Millisecond), BackoffMax: spec.Duration(time.Second), BackoffReset: spec.Duration(10 * time.Second)}.WithDefaults()
	s := &slot{name: "x", want: &p}
	w := &Worker{}
	now := time.Now()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, d := range want {
		w.backoff(s, 5*time.Millisecond, now)
		if got := s.nextStart.Sub(now); got != d*time.Millisecond {
			t.Errorf("crash %d: delay %v, want %v", i+1, got, d*time.Millisecond)
		}
	}
	// A run that lasted backoff_reset starts over.
	w.backoff(s, 10*time.Second, now)
	if got := s.nextStart.Sub(now); got != 100*time.Millisecond || s.failures != 1 {
		t.Errorf("after a stable run: delay %v, failures %d", got, s.failures)
	}
}

func TestSlotStatus(t *testing.T) {
	now := time.Now()
	p := spec.Proc{Name: "web.1", Type: "web", Command: "x"}
	run := &instance{PID: 10, StartedAt: now.Add(-time.Minute)}
	nxt := &instance{PID: 11, StartedAt: now}
	tests := []struct {
		name string
		s    slot
		want string
		pid  int
	}{
		{"running", slot{want: &p, cur: run}, proto.StateRunning, 10},
		{"starting", slot{want: &p, next: nxt}, proto.StateStarting, 11},
		{"reloading shows the serving process", slot{want: &p, cur: run, next: nxt}, proto.StateReloading, 10},
		{"removed", slot{cur: run}, proto.StateStopping, 0},
		{"first crash", slot{want: &p, failures: 1, nextStart: now.Add(time.Second)}, proto.StateBackoff, 0},
		{"crash loop", slot{want: &p, failures: 3, nextStart: now.Add(time.Second)}, proto.StateCrashLoop, 0},
		{"cannot exec", slot{want: &p, failures: 1, startErr: true}, proto.StateFailed, 0},
		{"done", slot{want: &p, final: proto.StateExited}, proto.StateExited, 0},
	}
	for _, tt := range tests {
		st := tt.s.status(now, nil)
		if st.State != tt.want || st.PID != tt.pid {
			t.Errorf("%s: %s pid %d, want %s pid %d", tt.name, st.State, st.PID, tt.want, tt.pid)
		}
	}
}

func TestApplyDiff(t *testing.T) {
	w := &Worker{slots: map[string]*slot{}}
	mk := func(procs ...spec.Proc) *spec.Worker { return &spec.Worker{Procs: procs} }
	a := spec.Proc{Name: "a", Command: "x"}
	b := spec.Proc{Name: "b", Command: "y"}
	w.log = discard()
	w.apply(mk(a, b))
	ha := w.slots["a"].wantHash
	a2 := a
	a2.Args = []string{"new"}
	w.slots["a"].failures = 4
	w.apply(mk(a2))
	if w.slots["a"].wantHash == ha || w.slots["a"].failures != 0 {
		t.Errorf("a changed: hash kept or backoff not reset: %+v", w.slots["a"])
	}
	if w.slots["b"].want != nil || w.slots["b"].removedAt.IsZero() {
		t.Errorf("b removed from the list but still wanted: %+v", w.slots["b"])
	}
	w.slots["a"].failures = 2
	w.apply(mk(a2))
	if w.slots["a"].failures != 2 {
		t.Error("an unchanged description reset the backoff")
	}
}
