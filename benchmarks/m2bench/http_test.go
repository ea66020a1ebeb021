package m2bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// countingServer is a local HTTP server that counts requests and new
// connections.
type countingServer struct {
	*httptest.Server
	requests, conns atomic.Int64
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "hello\n")
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func TestHTTPClosedLoop(t *testing.T) {
	tests := []struct {
		name   string
		close  bool
		method string
		body   []byte
	}{
		{name: "keep-alive"},
		{name: "connection per request", close: true},
		{name: "post with body", method: "POST", body: []byte("hello=world")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody atomic.Value
			srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotBody.Store(string(b))
				w.Write([]byte("ok"))
			})
			o := HTTPOptions{Workload: Workload{Connections: 4, Duration: 300 * time.Millisecond},
				URL: srv.URL + "/x?y=1", Method: tt.method, Body: tt.body, Close: tt.close}
			r, err := RunHTTP(context.Background(), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests == 0 || int64(r.Requests) != srv.requests.Load() {
				t.Errorf("answered %d requests, server saw %d", r.Requests, srv.requests.Load())
			}
			if r.ErrorCount() != 0 {
				t.Errorf("errors: %v", r.Errors)
			}
			conns := srv.conns.Load()
			if tt.close && conns != srv.requests.Load() {
				t.Errorf("close mode: %d connections for %d requests", conns, srv.requests.Load())
			}
			if !tt.close && conns != 4 {
				t.Errorf("keep-alive: %d connections, want 4", conns)
			}
			if tt.body != nil && gotBody.Load() != string(tt.body) {
				t.Errorf("server got body %q, want %q", gotBody.Load(), tt.body)
			}
			if r.LatencyMs.P50 <= 0 || r.LatencyMs.P50 > r.LatencyMs.P99 || r.LatencyMs.P99 > r.LatencyMs.Max {
				t.Errorf("latency percentiles out of order: %+v", r.LatencyMs)
			}
		})
	}
}

// TestOpenLoopRate checks that a fixed-rate run sends what it promises:
// the server sees the requested rate within 3%.
func TestOpenLoopRate(t *testing.T) {
	srv := newCountingServer(t, nil)
	const rate, dur = 1000.0, 2 * time.Second
	var first, last atomic.Int64
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		last.Store(now)
		srv.requests.Add(1)
		w.Write([]byte("ok"))
	})
	o := HTTPOptions{Workload: Workload{Connections: 8, Duration: dur, Rate: rate}, URL: srv.URL}
	var progress bytes.Buffer
	r, err := RunHTTP(context.Background(), o, &progress)
	if err != nil {
		t.Fatal(err)
	}
	n := srv.requests.Load()
	span := time.Duration(last.Load() - first.Load())
	// n requests spaced 1/rate apart span (n-1)/rate.
	got := float64(n-1) / span.Seconds()
	t.Logf("server saw %d requests over %v: %.1f req/s; client throughput %.1f, p99 %.3fms", n, span, got, r.Throughput, r.LatencyMs.P99)
	if want := rate * dur.Seconds(); float64(n) < want*0.97 || float64(n) > want*1.03 {
		t.Errorf("server saw %d requests, want %.0f ± 3%%", n, want)
	}
	if got < rate*0.97 || got > rate*1.03 {
		t.Errorf("server saw %.1f req/s, want %.0f ± 3%%", got, rate)
	}
	if len(r.Timeline) < 2 {
		t.Errorf("timeline %v: want a sample per second", r.Timeline)
	}
	// The progress line is rewritten in place each second, then cleared.
	p := progress.String()
	if strings.Count(p, "\r") < 3 || !strings.Contains(p, "1s/2s") || !strings.Contains(p, "req/s") || !strings.HasSuffix(p, "\r") {
		t.Errorf("progress output %q", p)
	}
}

// TestCoordinatedOmission stalls the server once. Closed loop sees one slow
// request; open loop charges the stall to every request that was due during
// it.
func TestCoordinatedOmission(t *testing.T) {
	const stall = 300 * time.Millisecond
	tests := []struct {
		rate    float64
		minSlow uint64 // requests slower than stall/3
		maxSlow uint64
	}{
		{rate: 0, minSlow: 1, maxSlow: 1},
		// At 100/s, about 30 requests fall due during the stall; their
		// latencies run from 300ms down to 0, so about 20 exceed 100ms.
		{rate: 100, minSlow: 15, maxSlow: 25},
	}
	for _, tt := range tests {
		var n atomic.Int64
		srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 20 {
				time.Sleep(stall)
			}
			w.Write([]byte("ok"))
		})
		o := HTTPOptions{Workload: Workload{Connections: 1, Duration: time.Second, Rate: tt.rate}, URL: srv.URL}
		r, err := RunHTTP(context.Background(), o, nil)
		if err != nil {
			t.Fatal(err)
		}
		var slow uint64
		for i := range numBuckets {
			if lo, _ := bucketRange(i); lo > int64(stall/3) {
				slow += r.hist.counts[i]
			}
		}
		if slow < tt.minSlow || slow > tt.maxSlow {
			t.Errorf("rate %v: %d requests slower than %v, want %d..%d", tt.rate, slow, stall/3, tt.minSlow, tt.maxSlow)
		}
		if r.LatencyMs.Max < ms(stall) {
			t.Errorf("rate %v: max %.1fms, want at least the stall", tt.rate, r.LatencyMs.Max)
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	})
	r, err := RunHTTP(context.Background(), HTTPOptions{Workload: Workload{Connections: 2, Duration: 200 * time.Millisecond}, URL: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["status 5xx"] == 0 || r.Errors["status 5xx"] != r.Requests {
		t.Errorf("errors %v for %d answered requests, want every one a 5xx", r.Errors, r.Requests)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	r, err = RunHTTP(context.Background(), HTTPOptions{Workload: Workload{Connections: 1, Duration: 100 * time.Millisecond}, URL: "http://" + addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 0 || r.Errors["connect"] == 0 {
		t.Errorf("refused port: %d answers, errors %v; want only connect errors", r.Requests, r.Errors)
	}

	// A server that answers nothing: requests time out.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	var held sync.WaitGroup
	held.Go(func() {
		c, err := mute.Accept()
		if err == nil {
			time.Sleep(500 * time.Millisecond)
			c.Close()
		}
	})
	r, err = RunHTTP(context.Background(), HTTPOptions{Workload: Workload{Connections: 1, Duration: 50 * time.Millisecond,
		Timeout: 150 * time.Millisecond}, URL: "http://" + mute.Addr().String()}, nil)
	held.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["timeout"] != 1 {
		t.Errorf("mute server: errors %v, want one timeout", r.Errors)
	}

	for _, bad := range []HTTPOptions{
		{Workload: Workload{Connections: 0, Duration: time.Second}, URL: srv.URL},
		{Workload: Workload{Connections: 1, Duration: 0}, URL: srv.URL},
		{Workload: Workload{Connections: 1, Duration: time.Second}, URL: "ftp://x/"},
		{Workload: Workload{Connections: 1, Duration: time.Second}, URL: srv.URL, Headers: []string{"no colon"}},
		{Workload: Workload{Connections: 1, Duration: time.Second}, URL: srv.URL, WebSocket: true, Close: true},
	} {
		if _, err := RunHTTP(context.Background(), bad, nil); err == nil {
			t.Errorf("RunHTTP(%+v) succeeded, want an error", bad)
		}
	}
}

func TestWebSocketEcho(t *testing.T) {
	var up websocket.Upgrader
	var got atomic.Value
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			got.Store(string(msg))
			if c.WriteMessage(kind, msg) != nil {
				return
			}
		}
	})
	o := HTTPOptions{Workload: Workload{Connections: 3, Duration: 300 * time.Millisecond}, URL: srv.URL, WebSocket: true, Body: []byte("ping")}
	r, err := RunHTTP(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests < 10 || r.ErrorCount() != 0 || r.Mode != "websocket" {
		t.Errorf("websocket: %d round trips, errors %v, mode %s", r.Requests, r.Errors, r.Mode)
	}
	if srv.requests.Load() != 3 {
		t.Errorf("%d handshakes, want 3", srv.requests.Load())
	}
	if got.Load() != "ping" {
		t.Errorf("server got %q, want ping", got.Load())
	}
}

// TestBehindSchedule asks for more than one slow connection can do: the
// requests still due at the end are reported unsent, and the run ends on
// time.
func TestBehindSchedule(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("ok"))
	})
	o := HTTPOptions{Workload: Workload{Connections: 1, Duration: 500 * time.Millisecond, Rate: 200}, URL: srv.URL}
	r, err := RunHTTP(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	// About 25 requests get through at 20ms each; 100 were due.
	unsent := r.Errors["unsent (behind schedule)"]
	if r.Requests+unsent != 100 || unsent < 50 {
		t.Errorf("%d answered, %d unsent: want 100 in all, most of them unsent", r.Requests, unsent)
	}
	if r.Seconds > 0.6 {
		t.Errorf("run took %.2fs, want it to stop at 0.5s", r.Seconds)
	}
	if r.LatencyMs.Max < 300 {
		t.Errorf("max latency %.1fms: the backlog must show in the latencies", r.LatencyMs.Max)
	}
}
