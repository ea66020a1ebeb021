package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bareku/bareku/internal/testutil"
)

// startScripted runs a backend that reads one request head and then calls
// script with the connection.
func startScripted(t *testing.T, script func(nc net.Conn)) int {
	t.Helper()
	addr := testutil.ServeTCP(t, func(nc net.Conn) {
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		script(nc)
	})
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// TestBackendLimits checks the ways a backend can fail to answer in time
// or in bounds: the request fails, the client connection is to be closed,
// and nothing reached the client.
func TestBackendLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    Options
		script func(nc net.Conn)
		want   error
	}{
		{"read timeout", Options{ReadTimeout: 100 * time.Millisecond}, func(nc net.Conn) {
			time.Sleep(time.Second)
		}, os.ErrDeadlineExceeded},
		{"head over proxy_read_retries reads", Options{ProxyReadRetries: 3}, func(nc net.Conn) {
			for _, c := range "HTTP/1.1 200 OK\r\n\r\n" {
				io.WriteString(nc, string(c))
				time.Sleep(10 * time.Millisecond)
			}
		}, errSlowHead},
		{"head larger than the buffer", Options{BufferSize: 64}, func(nc net.Conn) {
			io.WriteString(nc, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 100)+"\r\n\r\n")
		}, errHeadTooLarge},
		{"closed without a response", Options{}, func(nc net.Conn) {}, errNoResponse},
		{"closed in the head", Options{}, func(nc net.Conn) {
			io.WriteString(nc, "HTTP/1.1 200 OK\r\n")
		}, io.ErrUnexpectedEOF},
		{"101 to a plain request", Options{}, func(nc net.Conn) {
			io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
		}, errBad101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(proxyRow(startScripted(t, tc.script)), tc.opt)
			defer p.Close()
			fr := startFront(t, p)
			got, closed := exchangeRaw(t, fr.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0)
			if got != "" || !closed {
				t.Errorf("client got %q, closed %v", got, closed)
			}
			res, err := fr.last()
			if !errors.Is(err, tc.want) || !res.Close || res.Written != 0 || errors.Is(err, ErrBackendDown) {
				t.Errorf("Serve = %+v, %v; want %v", res, err, tc.want)
			}
		})
	}
}

// TestExpectContinue sends the body only after the backend's 100 Continue,
// as curl does, through a net/http backend that sends 100 when the handler
// reads the body.
func TestExpectContinue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %s", b)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	p := New(proxyRow(ln.Addr().(*net.TCPAddr).Port), Options{})
	defer p.Close()
	fr := startFront(t, p)

	c, err := net.Dial("tcp", fr.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("before the body: %q, %v", line, err)
	}
	br.ReadString('\n')
	io.WriteString(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "got hello" {
		t.Errorf("response body %q", body)
	}
	res, err := fr.last()
	if err != nil || res.Status != 200 || res.Close {
		t.Errorf("Serve = %+v, %v", res, err)
	}
}

// TestConcurrentClients runs many clients through one Proxy at once. With
// room in the pool no more connections are made than there are clients;
// a small pool never holds more than MaxIdlePerBackend.
func TestConcurrentClients(t *testing.T) {
	for _, tc := range []struct {
		maxIdle     int
		maxAccepts  int32
		maxIdleSeen int
	}{
		{0, 16, 16},
		{2, 160, 2},
	} {
		t.Run(fmt.Sprint("max idle ", tc.maxIdle), func(t *testing.T) {
			b := startBackend(t, func(path string, _ int) (string, bool, bool) {
				return resp("200 OK", "for "+path), false, false
			})
			p := b.proxy(Options{MaxIdlePerBackend: tc.maxIdle})
			defer p.Close()
			fr := startFront(t, p)
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", fr.addr)
					if err != nil {
						errs <- err
						return
					}
					defer c.Close()
					for j := range 10 {
						path := fmt.Sprintf("/c%d/%d", i, j)
						io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
						want := resp("200 OK", "for "+path)
						if got, closed := readAnswer(t, c, len(want)); got != want || closed {
							errs <- fmt.Errorf("%s: got %q", path, got)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			p.mu.Lock()
			idle := len(p.idle)
			p.mu.Unlock()
			if idle > tc.maxIdleSeen || idle == 0 {
				t.Errorf("%d idle connections, want 1 to %d", idle, tc.maxIdleSeen)
			}
			if n := b.accepts.Load(); n > tc.maxAccepts {
				t.Errorf("%d backend connections, want at most %d", n, tc.maxAccepts)
			}
			if got := len(b.requests()); got != 160 {
				t.Errorf("backend got %d requests", got)
			}
		})
	}
}

// TestIdleTimeout drops pooled connections older than IdleTimeout.
func TestIdleTimeout(t *testing.T) {
	b := relayBackend(t)
	p := b.proxy(Options{IdleTimeout: 50 * time.Millisecond})
	defer p.Close()
	fr := startFront(t, p)
	want := relayResponses["/len"].resp
	exchangeRaw(t, fr.addr, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n", len(want))
	time.Sleep(100 * time.Millisecond)
	if got, _ := exchangeRaw(t, fr.addr, "GET /len HTTP/1.1\r\nHost: x\r\n\r\n", len(want)); got != want {
		t.Fatalf("got %q", got)
	}
	if n := b.accepts.Load(); n != 2 {
		t.Errorf("backend accepted %d connections, want 2", n)
	}
}

// TestSlowHeadWarning: a response head that takes more reads than
// limits.proxy_read_retry_warn is reported once and still relayed.
func TestSlowHeadWarning(t *testing.T) {
	var mu sync.Mutex
	var warnings []string
	opt := Options{ProxyReadRetryWarn: 3, Warn: func(msg string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprint(append([]any{msg}, args...)...))
	}}
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	p := New(proxyRow(startScripted(t, func(nc net.Conn) {
		for _, c := range resp {
			io.WriteString(nc, string(c))
			time.Sleep(5 * time.Millisecond)
		}
	})), opt)
	defer p.Close()
	fr := startFront(t, p)
	got, _ := exchangeRaw(t, fr.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", len(resp))
	if got != resp {
		t.Fatalf("client got %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "slow to send its response head") || !strings.Contains(warnings[0], "reads3") {
		t.Fatalf("warnings %q", warnings)
	}
}
