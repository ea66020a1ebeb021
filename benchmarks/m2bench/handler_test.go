package m2bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/handlers/m2handler"
	"github.com/bareku/bareku/protocol/m2"
)

// endpoints returns fresh ipc:// send and recv specs.
func endpoints(t *testing.T) (string, string) {
	dir, err := os.MkdirTemp("", "m2b")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "ipc://" + filepath.Join(dir, "send"), "ipc://" + filepath.Join(dir, "recv")
}

// echoHandler is a handler written with the Go SDK: it answers every
// request with a small HTTP response, except requests from ids in ignore,
// and remembers what it saw.
type echoHandler struct {
	mu          sync.Mutex
	last        m2.Message
	method      string
	requests    int
	disconnects map[uint64]bool
}

func startEcho(t *testing.T, send, recv string, delay time.Duration, ignore map[uint64]bool) *echoHandler {
	t.Helper()
	h := &echoHandler{disconnects: map[uint64]bool{}}
	var wg sync.WaitGroup
	started := make(chan *m2handler.Conn, 1)
	wg.Go(func() {
		time.Sleep(delay)
		conn, err := m2handler.Connect(send, recv, "echo-handler")
		if err != nil {
			t.Error(err)
			started <- nil
			return
		}
		started <- conn
		for {
			req, err := conn.Recv()
			if errors.Is(err, m2handler.ErrClosed) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			h.mu.Lock()
			if req.IsDisconnect() {
				h.disconnects[req.ID] = true
			} else {
				h.requests++
				h.last = req.Message
				h.method = req.Method()
			}
			h.mu.Unlock()
			if req.IsDisconnect() || ignore[req.ID] {
				continue
			}
			if err := conn.ReplyHTTP(req, 200, "OK", nil, []byte("hi\n")); err != nil {
				t.Error(err)
				return
			}
		}
	})
	t.Cleanup(func() {
		if c := <-started; c != nil {
			c.Shutdown()
		}
		wg.Wait()
	})
	return h
}

func TestHandlerMode(t *testing.T) {
	tests := []struct {
		name     string
		protocol m2.Protocol
		rate     float64
		body     []byte
		delay    time.Duration // before the handler connects
	}{
		{name: "json closed loop, late handler", protocol: m2.JSON, delay: 300 * time.Millisecond},
		{name: "tnetstring open loop post", protocol: m2.TNetstring, rate: 200, body: []byte("a=b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send, recv := endpoints(t)
			h := startEcho(t, send, recv, tt.delay, nil)
			const dur = 500 * time.Millisecond
			o := HandlerOptions{
				Workload: Workload{Connections: 4, Duration: dur, Rate: tt.rate},
				Handler:  HandlerSpec{SendSpec: send, RecvSpec: recv, SendIdent: "bench-ident", Protocol: tt.protocol},
				Path:     "/handler", Body: tt.body, Warmup: 5 * time.Second,
			}
			r, err := RunHandler(context.Background(), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests < 10 || r.ErrorCount() != 0 || r.Mode != "handler" {
				t.Fatalf("%d answered, errors %v, mode %s", r.Requests, r.Errors, r.Mode)
			}
			if tt.rate > 0 {
				if want := tt.rate * dur.Seconds(); float64(r.Requests) < want*0.95 || float64(r.Requests) > want*1.05 {
					t.Errorf("%d requests at %v/s for %v, want %.0f ± 5%%", r.Requests, tt.rate, dur, want)
				}
			}
			// Disconnect events follow the run; give them a moment.
			deadline := time.Now().Add(2 * time.Second)
			for {
				h.mu.Lock()
				n := len(h.disconnects)
				h.mu.Unlock()
				if n == 4 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			// The warm-up probes are answered too.
			if uint64(h.requests) < r.Requests {
				t.Errorf("handler saw %d requests, bench counted %d answers", h.requests, r.Requests)
			}
			wantMethod := "GET"
			if tt.body != nil {
				wantMethod = "POST"
			}
			m := h.last
			if m.UUID != "bench-ident" || m.Path != "/handler" || m.Protocol != tt.protocol ||
				h.method != wantMethod || string(m.Body) != string(tt.body) || m.Header("host") != "localhost" {
				t.Errorf("handler got uuid %q path %q protocol %v method %q body %q host %q",
					m.UUID, m.Path, m.Protocol, h.method, m.Body, m.Header("host"))
			}
			if m.ID < 1 || m.ID > 4 {
				t.Errorf("connection id %d, want 1..4", m.ID)
			}
			for id := uint64(1); id <= 4; id++ {
				if !h.disconnects[id] {
					t.Errorf("no disconnect event for id %d (got %v)", id, h.disconnects)
				}
			}
		})
	}
}

func TestHandlerTimeouts(t *testing.T) {
	send, recv := endpoints(t)
	startEcho(t, send, recv, 0, map[uint64]bool{2: true})
	o := HandlerOptions{
		Workload: Workload{Connections: 2, Duration: 300 * time.Millisecond, Timeout: 100 * time.Millisecond},
		Handler:  HandlerSpec{SendSpec: send, RecvSpec: recv, SendIdent: "bench"},
	}
	start := time.Now()
	r, err := RunHandler(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	// id 2 is never answered: its requests time out one after another.
	if n := r.Errors["timeout"]; n < 2 || n > 4 {
		t.Errorf("%d timeouts (errors %v), want 2..4", n, r.Errors)
	}
	if r.Requests < 10 {
		t.Errorf("id 1 got %d answers, want it unaffected", r.Requests)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("run took %v, want it to end soon after its timeout", d)
	}
}

func TestHandlerSilent(t *testing.T) {
	send, recv := endpoints(t)
	o := HandlerOptions{
		Workload: Workload{Connections: 1, Duration: time.Second},
		Handler:  HandlerSpec{SendSpec: send, RecvSpec: recv, SendIdent: "bench"},
		Warmup:   300 * time.Millisecond,
	}
	_, err := RunHandler(context.Background(), o, nil)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("err = %v, want the handler reported silent", err)
	}
}

func TestLoadHandler(t *testing.T) {
	db := filepath.Join(t.TempDir(), "config.sqlite")
	err := config.Write(db, &config.Dataset{Handlers: []config.HandlerRow{
		{ID: 1, SendSpec: "tcp://127.0.0.1:9997", SendIdent: "one", RecvSpec: "tcp://127.0.0.1:9996", RecvIdent: "", Protocol: "json"},
		{ID: 2, SendSpec: "tcp://127.0.0.1:9995", SendIdent: "two", RecvSpec: "tcp://127.0.0.1:9994", RecvIdent: "two", Protocol: "tnetstring"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(t.TempDir(), "single.sqlite")
	if err := config.Write(single, &config.Dataset{Handlers: []config.HandlerRow{
		{ID: 7, SendSpec: "ipc://s", SendIdent: "x", RecvSpec: "ipc://r", RecvIdent: "y", Protocol: "json"},
	}}); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.sqlite")
	if err := config.Write(empty, &config.Dataset{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		db      string
		id      int64
		want    HandlerSpec
		wantErr string
	}{
		{db: db, id: 1, want: HandlerSpec{"tcp://127.0.0.1:9997", "one", "tcp://127.0.0.1:9996", "", m2.JSON}},
		{db: db, id: 2, want: HandlerSpec{"tcp://127.0.0.1:9995", "two", "tcp://127.0.0.1:9994", "two", m2.TNetstring}},
		{db: db, id: 0, wantErr: "several handlers (ids 1 2)"},
		{db: db, id: 3, wantErr: "no handler with id 3"},
		{db: single, id: 0, want: HandlerSpec{"ipc://s", "x", "ipc://r", "y", m2.JSON}},
		{db: empty, id: 0, wantErr: "handler table is empty"},
		{db: filepath.Join(t.TempDir(), "missing.sqlite"), wantErr: "m2bench: handler"},
	}
	for _, tt := range tests {
		got, err := LoadHandler(tt.db, tt.id)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadHandler(%s, %d) err = %v, want %q", filepath.Base(tt.db), tt.id, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("LoadHandler(%s, %d) = %+v, %v; want %+v", filepath.Base(tt.db), tt.id, got, err, tt.want)
		}
	}
}
