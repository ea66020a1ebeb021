package m2bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Workload is how hard and how long a target is driven.
type Workload struct {
	// Connections is the number of concurrent connections (simulated
	// clients in handler mode); at least 1.
	Connections int
	// Duration is how long requests are started for. Requests in flight
	// when it ends still complete and count.
	Duration time.Duration
	// Rate is the total request rate in requests per second, shared by all
	// connections (open loop). 0 means closed loop: each connection sends
	// its next request as soon as the previous one was answered.
	Rate float64
	// Timeout bounds each request; 0 means 10 seconds.
	Timeout time.Duration
}

func (w Workload) check() error {
	switch {
	case w.Connections < 1:
		return errors.New("m2bench: connections must be at least 1")
	case w.Duration <= 0:
		return errors.New("m2bench: duration must be positive")
	case w.Rate < 0:
		return errors.New("m2bench: rate must not be negative")
	}
	return nil
}

func (w Workload) timeout() time.Duration {
	if w.Timeout > 0 {
		return w.Timeout
	}
	return 10 * time.Second
}

// schedule hands out send times. Closed loop: now, until the end. Open
// loop: the k-th request of the run is due at start + k/rate whoever sends
// it, so requests held up by a slow server are late, not forgotten, and
// their latency counts from when they were due. No request starts after
// the end: those still due then are counted by unsent.
type schedule struct {
	start, end time.Time
	interval   time.Duration // 0: closed loop
	next       atomic.Int64  // slots handed out or refused
	issued     atomic.Int64  // slots handed out
}

func newSchedule(w Workload, start time.Time) *schedule {
	s := &schedule{start: start, end: start.Add(w.Duration)}
	if w.Rate > 0 {
		s.interval = max(time.Duration(float64(time.Second)/w.Rate), 1)
	}
	return s
}

// slot returns when the next request is due, or false once the run is over.
func (s *schedule) slot() (time.Time, bool) {
	now := time.Now()
	if s.interval == 0 {
		return now, now.Before(s.end)
	}
	t := s.start.Add(time.Duration(s.next.Add(1)-1) * s.interval)
	if !t.Before(s.end) || !now.Before(s.end) {
		return t, false
	}
	s.issued.Add(1)
	return t, true
}

// unsent is the number of open-loop requests that fell due during the run
// but were never sent, because every connection was busy until the end.
func (s *schedule) unsent() uint64 {
	if s.interval == 0 {
		return 0
	}
	span := s.end.Sub(s.start)
	due := int64((span + s.interval - 1) / s.interval)
	return uint64(max(due-s.issued.Load(), 0))
}

// noteUnsent records sched's unsent requests as errors.
func noteUnsent(errs map[string]uint64, sched *schedule) {
	if n := sched.unsent(); n > 0 {
		errs["unsent (behind schedule)"] += n
	}
}

// meter counts completions and errors across goroutines for the progress
// line and the throughput timeline.
type meter struct {
	done, errs atomic.Uint64
}

// sampler records completions per second until stop is closed, and keeps a
// progress line on progress (when not nil) up to date.
type sampler struct {
	m        *meter
	progress io.Writer
	label    string
	start    time.Time
	total    time.Duration
	stop     chan struct{}
	finished chan []float64
}

func startSampler(m *meter, progress io.Writer, label string, start time.Time, total time.Duration) *sampler {
	s := &sampler{m: m, progress: progress, label: label, start: start, total: total,
		stop: make(chan struct{}), finished: make(chan []float64, 1)}
	go s.run()
	return s
}

func (s *sampler) run() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var timeline []float64
	var last uint64
	lastAt := s.start
	for {
		select {
		case now := <-tick.C:
			done := s.m.done.Load()
			timeline = append(timeline, float64(done-last)/now.Sub(lastAt).Seconds())
			last, lastAt = done, now
			if s.progress != nil {
				fmt.Fprintf(s.progress, "\r%s %4.0fs/%.0fs %10d req %10.0f req/s %6d errors ",
					s.label, now.Sub(s.start).Seconds(), s.total.Seconds(), done, timeline[len(timeline)-1], s.m.errs.Load())
			}
		case <-s.stop:
			// A last partial second counts when it is long enough to mean
			// something.
			if part := time.Since(lastAt); part > 200*time.Millisecond {
				timeline = append(timeline, float64(s.m.done.Load()-last)/part.Seconds())
			}
			if s.progress != nil {
				fmt.Fprintf(s.progress, "\r%80s\r", "")
			}
			s.finished <- timeline
			return
		}
	}
}

// end stops the sampler and returns the timeline.
func (s *sampler) end() []float64 {
	close(s.stop)
	return <-s.finished
}

// tally is one worker's record: its own histogram and error counts, merged
// when the run ends.
type tally struct {
	hist   Histogram
	errors map[string]uint64
	m      *meter
}

func (t *tally) ok(d time.Duration) {
	t.hist.Record(d)
	t.m.done.Add(1)
}

func (t *tally) fail(kind string) {
	if t.errors == nil {
		t.errors = make(map[string]uint64)
	}
	t.errors[kind]++
	t.m.errs.Add(1)
}

// roundTripper is one connection of a load run.
type roundTripper interface {
	// roundTrip sends one request and waits for all of its answer. It
	// returns the HTTP status (0 where there is none).
	roundTrip() (status int, err error)
	// prepare opens the connection ahead of the first request, where
	// that makes sense.
	prepare() error
	close()
}

// opError says which step of a round trip failed.
type opError struct {
	op  string // "connect", "write", "read", "response"
	err error
}

func (e *opError) Error() string { return "m2bench: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// errorKind names the error classes a run reports.
func errorKind(err error) string {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout"
	}
	var oe *opError
	if errors.As(err, &oe) {
		return oe.op
	}
	return "other"
}

// runLoad drives newConn's connections under w and returns the merged
// record. Connections that can be opened ahead (keep-alive, websocket) are
// opened before the clock starts, so that connection setup does not count
// as the latency of the first requests; a failure to open counts as a
// connect error and the connection tries again when it is first used.
func runLoad(ctx context.Context, w Workload, label string, progress io.Writer, newConn func() roundTripper) (*Histogram, map[string]uint64, []float64, time.Duration) {
	m := &meter{}
	tallies := make([]*tally, w.Connections)
	var ready, done sync.WaitGroup
	var sched *schedule
	begin := make(chan struct{})
	for i := range tallies {
		t := &tally{m: m}
		tallies[i] = t
		ready.Add(1)
		done.Go(func() {
			c := newConn()
			if err := c.prepare(); err != nil {
				t.fail(errorKind(err))
			}
			ready.Done()
			<-begin
			work(ctx, sched, c, t)
		})
	}
	ready.Wait()
	start := time.Now()
	sched = newSchedule(w, start)
	smp := startSampler(m, progress, label, start, w.Duration)
	close(begin)
	done.Wait()
	elapsed := time.Since(start)
	timeline := smp.end()
	var h Histogram
	errs := map[string]uint64{}
	for _, t := range tallies {
		h.Merge(&t.hist)
		for k, n := range t.errors {
			errs[k] += n
		}
	}
	noteUnsent(errs, sched)
	return &h, errs, timeline, elapsed
}

// work is one connection's loop.
func work(ctx context.Context, sched *schedule, c roundTripper, t *tally) {
	defer c.close()
	timer := time.NewTimer(0)
	<-timer.C
	for ctx.Err() == nil {
		due, ok := sched.slot()
		if !ok {
			return
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		status, err := c.roundTrip()
		done := time.Now()
		if err != nil {
			kind := errorKind(err)
			t.fail(kind)
			if kind == "connect" {
				// Do not spin on a refused port.
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		t.ok(done.Sub(due))
		if status >= 400 {
			t.fail(fmt.Sprintf("status %dxx", status/100))
		}
	}
}
