package m2bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/m2"
	"github.com/bareku/bareku/protocol/zmq"
)

// HandlerSpec is a handler's sockets as the server side sees them: the
// handler table's columns.
type HandlerSpec struct {
	SendSpec  string      // bound as PUSH; requests go out here
	SendIdent string      // PUSH identity and the UUID of every request
	RecvSpec  string      // bound as SUB; replies come back here
	RecvIdent string      // SUB subscription prefix ("" takes every reply)
	Protocol  m2.Protocol // how request headers are encoded
}

// LoadHandler reads a row of the handler table of the config DB at dbPath.
// id 0 picks the only row, and is an error when there are several.
func LoadHandler(dbPath string, id int64) (HandlerSpec, error) {
	q := "SELECT id, send_spec, send_ident, recv_spec, recv_ident, protocol FROM handler"
	var args []any
	if id != 0 {
		q += " WHERE id = ?"
		args = append(args, id)
	}
	rows, err := config.QueryText(dbPath, q+" ORDER BY id", args...)
	if err != nil {
		return HandlerSpec{}, fmt.Errorf("m2bench: handler: %w", err)
	}
	switch {
	case len(rows) == 0 && id != 0:
		return HandlerSpec{}, fmt.Errorf("m2bench: %s: no handler with id %d", dbPath, id)
	case len(rows) == 0:
		return HandlerSpec{}, fmt.Errorf("m2bench: %s: the handler table is empty", dbPath)
	case len(rows) > 1:
		ids := ""
		for _, r := range rows {
			ids += " " + r[0]
		}
		return HandlerSpec{}, fmt.Errorf("m2bench: %s: several handlers (ids%s): pick one with -handler-id", dbPath, ids)
	}
	r := rows[0]
	h := HandlerSpec{SendSpec: r[1], SendIdent: r[2], RecvSpec: r[3], RecvIdent: r[4]}
	if r[5] == "tnetstring" {
		h.Protocol = m2.TNetstring
	}
	return h, nil
}

// HandlerOptions describe a run against a handler, with m2bench in the
// server's place.
type HandlerOptions struct {
	// Workload's Connections is the number of simulated clients, each with
	// its own connection id and at most one request outstanding.
	Workload
	Handler HandlerSpec
	// Path is the request path (and PATTERN); default "/".
	Path string
	// Body, when not empty, makes the requests POSTs carrying it.
	Body []byte
	// Warmup bounds the wait for the handler's first answer before the
	// run starts (ZeroMQ peers connect and subscribe asynchronously);
	// 0 means 10 seconds.
	Warmup time.Duration
}

// recvTick is the SUB socket's receive timeout: how often the receiver looks
// for requests that timed out and for the end of the run.
const recvTick = 20 * time.Millisecond

// RunHandler binds the handler's sockets, waits until the handler answers,
// then sends it synthetic requests and measures the time from pushing a
// request to receiving the reply addressed to its connection id.
func RunHandler(ctx context.Context, o HandlerOptions, progress io.Writer) (*Result, error) {
	if err := o.Workload.check(); err != nil {
		return nil, err
	}
	zctx, err := zmq.NewContext(1)
	if err != nil {
		return nil, fmt.Errorf("m2bench: %w", err)
	}
	defer zctx.Term()
	push, err := zctx.Bind(zmq.Push, o.Handler.SendSpec, zmq.Options{
		Identity: o.Handler.SendIdent, SendHWM: 100000, Linger: 500 * time.Millisecond, SendTimeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("m2bench: %w", err)
	}
	defer push.Close()
	sub, err := zctx.Bind(zmq.Sub, o.Handler.RecvSpec, zmq.Options{
		Subscribe: o.Handler.RecvIdent, RecvHWM: 100000, Linger: time.Millisecond, RecvTimeout: recvTick})
	if err != nil {
		return nil, fmt.Errorf("m2bench: %w", err)
	}
	defer sub.Close()

	r := newHandlerRun(o, progress)
	var wg sync.WaitGroup
	var recvErr error
	wg.Go(func() { recvErr = r.receive(ctx, sub) })
	res, sendErr := r.send(ctx, push)
	wg.Wait()
	if sendErr != nil {
		return nil, sendErr
	}
	if recvErr != nil {
		return nil, recvErr
	}
	return res, nil
}

// handlerRun is the state the sending and the receiving goroutine share.
// Each owns its socket; they meet only through atomics and channels.
type handlerRun struct {
	o        HandlerOptions
	progress io.Writer
	probe    uint64 // connection id of warm-up requests
	// due[id] is when the outstanding request of id was due (Unix ns), 0
	// when id has none. Whoever swaps it back to 0 puts id on free.
	due         []atomic.Int64
	free        chan uint64
	outstanding atomic.Int64
	warm        chan struct{}
	sent        chan struct{} // closed when the sender is done sending
	finished    chan time.Time
	m           meter
	hist        Histogram
	recvErrors  map[string]uint64
}

func newHandlerRun(o HandlerOptions, progress io.Writer) *handlerRun {
	n := o.Connections
	r := &handlerRun{o: o, progress: progress, probe: uint64(n + 1), due: make([]atomic.Int64, n+2),
		free: make(chan uint64, n), warm: make(chan struct{}, 1), sent: make(chan struct{}),
		finished: make(chan time.Time, 1), recvErrors: map[string]uint64{}}
	for id := 1; id <= n; id++ {
		r.free <- uint64(id)
	}
	return r
}

// release ends id's outstanding request, if it still has one, and reports
// when it was due.
func (r *handlerRun) release(id uint64) (int64, bool) {
	d := r.due[id].Swap(0)
	if d == 0 {
		return 0, false
	}
	r.outstanding.Add(-1)
	r.free <- id
	return d, true
}

// send owns the PUSH socket: it warms up, runs the schedule, waits for the
// receiver to finish, then tells the handler every client is gone.
func (r *handlerRun) send(ctx context.Context, push *zmq.Socket) (*Result, error) {
	closeSent := sync.OnceFunc(func() { close(r.sent) })
	defer closeSent()
	o := r.o
	path := o.Path
	if path == "" {
		path = "/"
	}
	req := m2.Request{
		UUID: []byte(o.Handler.SendIdent), Path: []byte(path), Method: []byte("GET"),
		Version: []byte("HTTP/1.1"), URI: []byte(path), Pattern: []byte(path),
		URLScheme: []byte("http"), RemoteAddr: []byte("127.0.0.1"), ForwardedFor: []byte("127.0.0.1"),
		Headers: []m2.Header{
			{Name: []byte("host"), Value: []byte("localhost")},
			{Name: []byte("user-agent"), Value: []byte("m2bench")},
			{Name: []byte("accept"), Value: []byte("*/*")},
		},
		Body: o.Body,
	}
	if len(o.Body) > 0 {
		req.Method = []byte("POST")
		req.Headers = append(req.Headers, m2.Header{Name: []byte("content-length"), Value: []byte(strconv.Itoa(len(o.Body)))})
	}
	var enc m2.Encoder
	var buf []byte
	sendErrors := map[string]uint64{}
	push1 := func(id uint64) error {
		req.ID = id
		buf = enc.Append(buf[:0], o.Handler.Protocol, &req)
		return push.Send(buf)
	}

	// Warm up: the handler may not be connected yet, and the first
	// replies may be published before our subscription reached it.
	warmup := o.Warmup
	if warmup <= 0 {
		warmup = 10 * time.Second
	}
	giveUp := time.After(warmup)
	retry := time.NewTicker(250 * time.Millisecond)
	defer retry.Stop()
warm:
	for {
		if err := push1(r.probe); err != nil && !errors.Is(err, zmq.ErrTimeout) {
			return nil, fmt.Errorf("m2bench: warm-up request: %w", err)
		}
		select {
		case <-r.warm:
			break warm
		case <-retry.C:
		case <-giveUp:
			return nil, fmt.Errorf("m2bench: handler at %s did not answer within %v", o.Handler.SendSpec, warmup)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	retry.Stop()

	start := time.Now()
	sched := newSchedule(o.Workload, start)
	smp := startSampler(&r.m, r.progress, "handler "+o.Handler.SendSpec, start, o.Duration)
	timer := time.NewTimer(0)
	<-timer.C
	openLoop := o.Rate > 0
	// Once the run is over, nothing more is sent: a client that is still
	// waiting for its answer then has no next request.
	stopWaiting := time.After(time.Until(sched.end))
	used := make([]bool, o.Connections+1)
run:
	for ctx.Err() == nil {
		var due time.Time
		if openLoop {
			var ok bool
			if due, ok = sched.slot(); !ok {
				break
			}
			if d := time.Until(due); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					break run
				}
			}
		}
		var id uint64
		select {
		case id = <-r.free:
		case <-ctx.Done():
			break run
		case <-stopWaiting:
			if openLoop {
				sendErrors["unsent (behind schedule)"]++ // its slot was issued
			}
			break run
		}
		if !openLoop {
			var ok bool
			if due, ok = sched.slot(); !ok {
				r.free <- id
				break
			}
		}
		used[id] = true
		r.outstanding.Add(1)
		r.due[id].Store(due.UnixNano())
		if err := push1(id); err != nil {
			if _, mine := r.release(id); mine {
				sendErrors["send"]++
				r.m.errs.Add(1)
			}
			if !errors.Is(err, zmq.ErrTimeout) {
				break
			}
		}
	}
	closeSent()
	end := <-r.finished
	timeline := smp.end()

	for id, u := range used {
		if u {
			buf = m2.AppendDisconnect(buf[:0], o.Handler.Protocol, req.UUID, uint64(id))
			push.Send(buf)
		}
	}
	for k, n := range sendErrors {
		r.recvErrors[k] += n
	}
	noteUnsent(r.recvErrors, sched)
	res := newResult(o.Handler.SendSpec, "handler", o.Workload, &r.hist, r.recvErrors, timeline, end.Sub(start))
	return res, nil
}

// receive owns the SUB socket: it matches replies to outstanding requests,
// times out requests that got no reply, and ends once the sender is done
// and nothing is outstanding (or the last request timed out).
func (r *handlerRun) receive(ctx context.Context, sub *zmq.Socket) error {
	defer func() { r.finished <- time.Now() }()
	var reply m2.Reply
	timeout := r.o.timeout()
	lastScan := time.Now()
	sent := r.sent
	for {
		msg, err := sub.Recv()
		now := time.Now()
		switch {
		case errors.Is(err, zmq.ErrTimeout):
		case err != nil:
			return fmt.Errorf("m2bench: receive: %w", err)
		default:
			if err := m2.ParseReply(msg, &reply, 0); err != nil {
				r.recvErrors["bad reply"]++
				r.m.errs.Add(1)
				continue
			}
			if reply.Extended {
				continue
			}
			for _, id := range reply.IDs {
				if id == r.probe {
					select {
					case r.warm <- struct{}{}:
					default:
					}
					continue
				}
				if id == 0 || id >= r.probe {
					continue
				}
				due, ok := r.release(id)
				if !ok {
					continue // a late reply to a request that timed out
				}
				r.hist.Record(now.Sub(time.Unix(0, due)))
				r.m.done.Add(1)
				if len(reply.Body) == 0 {
					r.recvErrors["closed by handler"]++
					r.m.errs.Add(1)
				} else if s := replyStatus(reply.Body); s >= 400 {
					r.recvErrors[fmt.Sprintf("status %dxx", s/100)]++
					r.m.errs.Add(1)
				}
			}
		}
		if now.Sub(lastScan) >= recvTick {
			lastScan = now
			for id := 1; id < len(r.due)-1; id++ {
				d := r.due[id].Load()
				if d != 0 && now.Sub(time.Unix(0, d)) > timeout {
					if _, ok := r.release(uint64(id)); ok {
						r.recvErrors["timeout"]++
						r.m.errs.Add(1)
					}
				}
			}
		}
		select {
		case <-sent:
			if r.outstanding.Load() == 0 {
				return nil
			}
		case <-ctx.Done():
			return nil
		default:
		}
	}
}

// replyStatus is the status code of an HTTP response in a reply body, or 0.
func replyStatus(b []byte) int {
	if len(b) < 12 || !bytes.HasPrefix(b, []byte("HTTP/1.")) || b[8] != ' ' {
		return 0
	}
	n, err := strconv.Atoi(string(b[9:12]))
	if err != nil {
		return 0
	}
	return n
}
