package integration

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bareku/bareku/integration/harness"
)

// Hot reload (docs/compatibility.md, "Hot reload"): Bareku re-reads its
// config database on SIGHUP; Mongrel2 1.12.2 only reopens its logs (spec
// §10.4).

// answerAs answers each request with namedResponse(name) and keeps the
// connection open, so keep-alive clients can tell who served each request.
func answerAs(name string) harness.Policy { return harness.Respond(namedResponse(name)) }

// reloadConfig is one host with the given routes; its handlers are the
// ones the routes name (m2sh stores no handler that no route uses).
func reloadConfig(routes map[string]string, settings map[string]string) harness.Config {
	var hs []harness.HandlerSpec
	for _, name := range slices.Sorted(maps.Values(routes)) {
		if len(hs) == 0 || hs[len(hs)-1].Name != name {
			hs = append(hs, harness.HandlerSpec{Name: name})
		}
	}
	return harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: routes}},
		Handlers: hs,
		Settings: settings,
	}
}

// oursOnly skips the test unless our server and the real m2sh are there,
// and returns our implementation (its databases are loaded by the real
// m2sh, so that only the server is under test).
func oursOnly(t *testing.T) harness.Impl {
	t.Helper()
	requireOracle(t)
	c := serverImpls()[1]
	if c.skip != "" {
		t.Skip(c.skip)
	}
	return c.impl
}

// get sends one GET on c and reads one response.
func get(t *testing.T, c *harness.Conn, path string) harness.Transcript {
	t.Helper()
	c.Write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	return c.Read(harness.UntilResponses(1))
}

// getNew sends one GET on a fresh connection.
func getNew(t *testing.T, s *harness.Server, path string) harness.Transcript {
	t.Helper()
	return get(t, s.Dial(t), path)
}

// rotateLogs moves both log files aside, as logrotate does.
func rotateLogs(t *testing.T, s *harness.Server) {
	t.Helper()
	for _, name := range []string{"error.log", "access.log"} {
		p := filepath.Join(s.Dir, "logs", name)
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
}

// waitLogsReopened waits until SIGHUP has recreated both log files.
func waitLogsReopened(t *testing.T, s *harness.Server) {
	t.Helper()
	ok := waitFor(func() bool {
		for _, name := range []string{"error.log", "access.log"} {
			if _, err := os.Stat(filepath.Join(s.Dir, "logs", name)); err != nil {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("%s: SIGHUP did not recreate logs/error.log and logs/access.log", s.Impl.Name)
	}
}

// TestReloadRoutes: routes added, removed and moved in the database take
// effect on SIGHUP in Bareku, in the same process and on an existing
// keep-alive connection; the real Mongrel2 only reopens its logs and keeps
// serving the routes it started with. Both recreate rotated log files.
func TestReloadRoutes(t *testing.T) {
	requireOracle(t)
	before := reloadConfig(map[string]string{"/handler": "a", "/old": "a", "/b": "b"}, nil)
	after := reloadConfig(map[string]string{"/handler": "b", "/new": "a", "/b": "b"}, nil)
	for _, c := range serverImpls() {
		t.Run(c.impl.Name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			reloads := c.impl.Name != oracleName
			s := harness.Start(t, c.impl, before)
			waitRunning(t, s)
			for _, name := range []string{"a", "b"} {
				s.Handler(t, name).OnMessage(answerAs(name))
			}
			keep := s.Dial(t)
			expectOpen(t, "/handler before", get(t, keep, "/handler"), namedResponse("a"))
			expectOpen(t, "/old before", getNew(t, s, "/old"), namedResponse("a"))
			expectCanned(t, "/new before", getNew(t, s, "/new"), resp404)

			waitAccessLines(t, s, 2) // /handler and /old; a 404 is not logged
			s.Reconfigure(t, after)
			rotateLogs(t, s)
			s.Signal(t, syscall.SIGHUP)
			waitLogsReopened(t, s)
			if reloads {
				if !waitFor(func() bool { return probe(s.Addr, "/new") == "a" }) {
					t.Fatalf("/new never answered after SIGHUP; error log:\n%s", s.ErrorLog())
				}
			} else {
				time.Sleep(2 * settle) // give a reload that must not happen its chance
			}

			pid, _ := os.ReadFile(s.PidFile())
			if s.Exited() || string(pid) != strconv.Itoa(s.Pid()) {
				t.Errorf("after SIGHUP: exited=%v, pid file %q, want the same process %d running", s.Exited(), pid, s.Pid())
			}
			if reloads {
				expectOpen(t, "/handler after, same connection", get(t, keep, "/handler"), namedResponse("b"))
				expectOpen(t, "/handler after", getNew(t, s, "/handler"), namedResponse("b"))
				expectOpen(t, "/new after", getNew(t, s, "/new"), namedResponse("a"))
				expectCanned(t, "/old after", getNew(t, s, "/old"), resp404)
			} else {
				expectOpen(t, "/handler after, same connection", get(t, keep, "/handler"), namedResponse("a"))
				expectOpen(t, "/handler after", getNew(t, s, "/handler"), namedResponse("a"))
				expectCanned(t, "/new after", getNew(t, s, "/new"), resp404)
				expectOpen(t, "/old after", getNew(t, s, "/old"), namedResponse("a"))
			}
			// The control port's reload raises SIGHUP: back to the first
			// config in Bareku, nothing changes in Mongrel2.
			s.Reconfigure(t, before)
			if got := string(s.Control(t, ctl("reload"))); got != ctlSignalSent {
				t.Errorf("control reload:\n got %q\nwant %q", got, ctlSignalSent)
			}
			if reloads {
				if !waitFor(func() bool { return probe(s.Addr, "/old") == "a" }) {
					t.Errorf("/old never came back after the control port's reload; error log:\n%s", tail(s.ErrorLog()))
				}
				expectOpen(t, "/handler after control reload", getNew(t, s, "/handler"), namedResponse("a"))
				expectCanned(t, "/new after control reload", getNew(t, s, "/new"), resp404)
			} else {
				time.Sleep(2 * settle)
				expectCanned(t, "/new after control reload", getNew(t, s, "/new"), resp404)
				expectOpen(t, "/old after control reload", getNew(t, s, "/old"), namedResponse("a"))
			}
			// The rotated access log kept the lines from before SIGHUP; the
			// reopened one gets those after.
			rotated, _ := os.ReadFile(s.AccessLogPath() + ".1")
			if lines := harness.Lines(string(rotated)); len(lines) != 2 {
				t.Errorf("rotated access log has %d lines, want the 2 from before SIGHUP: %q", len(lines), lines)
			}
			waitAccessLines(t, s, 1)
		})
	}
}

// TestReloadRejected: a database that does not load or does not build is
// rejected as a whole: the error log names the reason and the previous
// config keeps serving, including the route the rejected database moved.
func TestReloadRejected(t *testing.T) {
	impl := oursOnly(t)
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 command not installed")
	}
	const move = "UPDATE route SET path='/moved' WHERE path='/handler';"
	for _, tc := range []struct {
		name, sql, reason string
	}{
		{"handler row deleted", move + "DELETE FROM handler WHERE send_ident LIKE '%-a';", "handler"},
		{"limits.buffer_size=3", move + "INSERT INTO setting (key, value) VALUES ('limits.buffer_size', '3');", "limits.buffer_size"},
		{"unknown target type", move + "UPDATE route SET target_type='nope';", "target_type"},
		{"not a database", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := harness.Start(t, impl, reloadConfig(map[string]string{"/handler": "a", "/b": "b"}, nil))
			waitRunning(t, s)
			s.Handler(t, "a").OnMessage(answerAs("a"))
			keep := s.Dial(t)
			expectOpen(t, "before", get(t, keep, "/handler"), namedResponse("a"))
			if tc.sql != "" {
				if out, err := exec.Command(sqlite, s.DB(), tc.sql).CombinedOutput(); err != nil {
					t.Fatalf("sqlite3: %v\n%s", err, out)
				}
			} else if err := os.WriteFile(s.DB(), []byte("not a database\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			logBefore := len(s.ErrorLog())
			s.Signal(t, syscall.SIGHUP)
			var news string
			if !waitFor(func() bool {
				news = s.ErrorLog()[logBefore:]
				return strings.Contains(news, "[ERROR]")
			}) {
				t.Fatalf("no error logged after SIGHUP with a bad database; new error log lines:\n%s", news)
			}
			t.Logf("error log: %s", strings.TrimSpace(news))
			if !strings.Contains(news, tc.reason) {
				t.Errorf("error log does not name %q:\n%s", tc.reason, news)
			}
			expectOpen(t, "after, same connection", get(t, keep, "/handler"), namedResponse("a"))
			expectOpen(t, "after", getNew(t, s, "/handler"), namedResponse("a"))
			expectCanned(t, "moved route", getNew(t, s, "/moved"), resp404)
			if s.Exited() {
				t.Errorf("server exited after a rejected reload: %s", s.Stderr())
			}
		})
	}
}

// TestReloadHandlerReadded: a handler removed by one reload and added back
// by the next (within the 10 s its sockets are kept for replies in flight)
// answers at once, without waiting for the old sockets to be released.
func TestReloadHandlerReadded(t *testing.T) {
	impl := oursOnly(t)
	// /marker comes and goes with c, to see when a reload has been applied.
	with := reloadConfig(map[string]string{"/handler": "a", "/c": "c", "/marker": "a"}, nil)
	without := reloadConfig(map[string]string{"/handler": "a"}, nil)
	s := harness.Start(t, impl, with)
	waitRunning(t, s)
	for _, name := range []string{"a", "c"} {
		s.Handler(t, name).OnMessage(answerAs(name))
	}
	expectOpen(t, "/c at start", getNew(t, s, "/c"), namedResponse("c"))
	reload := func(cfg harness.Config, path, want string) {
		t.Helper()
		s.Reconfigure(t, cfg)
		s.Signal(t, syscall.SIGHUP)
		if !waitFor(func() bool { return probe(s.Addr, path) == want }) {
			t.Fatalf("%s never answered %q after SIGHUP; error log:\n%s", path, want, s.ErrorLog())
		}
	}
	reload(without, "/c", "404")
	reload(with, "/marker", "a") // a route swap is visible at once...
	// ... and the re-added handler must answer like any other. The read
	// waits longer than the 10 s grace, to tell a delay from a dead handler.
	start := time.Now()
	c, err := net.DialTimeout("tcp", s.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(start.Add(15 * time.Second))
	io.WriteString(c, "GET /c HTTP/1.1\r\nHost: localhost\r\n\r\n")
	body, status, err := readResponse(bufio.NewReader(c))
	took := time.Since(start)
	t.Logf("/c re-added: status %d body %q error %v after %v", status, body, err, took.Round(time.Millisecond))
	if status != 200 || body != "c" || took > 2*time.Second {
		t.Errorf("/c re-added: status %d body %q (%v) after %v, want c's answer within 2s; error log:\n%s",
			status, body, err, took.Round(time.Millisecond), tail(s.ErrorLog()))
	}
}

// loadResult is one request of the load generator.
type loadResult struct {
	start time.Time
	path  string
	body  string // the answering handler's name, "" on failure
}

// loadStats counts what the load generator saw.
type loadStats struct {
	requests, failures, drops int
	firstErrors               []string
}

// loadWorker runs request/response on one keep-alive connection until stop,
// reconnecting after a failure, and returns every request it made.
func loadWorker(addr, path string, stop <-chan struct{}, stats *loadStats, mu *sync.Mutex) []loadResult {
	var out []loadResult
	var c net.Conn
	var r *bufio.Reader
	fail := func(drop bool, format string, args ...any) {
		mu.Lock()
		if drop {
			stats.drops++
		} else {
			stats.failures++
		}
		if len(stats.firstErrors) < 10 {
			stats.firstErrors = append(stats.firstErrors, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
		if c != nil {
			c.Close()
			c = nil
		}
	}
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	for {
		select {
		case <-stop:
			return out
		default:
		}
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", addr, 2*time.Second); err != nil {
				fail(false, "dial: %v", err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			r = bufio.NewReader(c)
		}
		res := loadResult{start: time.Now(), path: path}
		c.SetDeadline(res.start.Add(5 * time.Second))
		if _, err := c.Write(req); err != nil {
			fail(true, "%s: write: %v", path, err)
			continue
		}
		body, status, err := readResponse(r)
		mu.Lock()
		stats.requests++
		mu.Unlock()
		switch {
		case err == io.EOF || err != nil && strings.Contains(err.Error(), "reset"):
			fail(true, "%s: connection dropped: %v", path, err)
			continue
		case err != nil:
			fail(false, "%s: %v", path, err)
			continue
		case status != 200:
			fail(false, "%s: status %d body %q", path, status, body)
			continue
		}
		res.body = body
		out = append(out, res)
	}
}

// readResponse reads one HTTP response with a Content-Length body.
func readResponse(r *bufio.Reader) (body string, status int, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", 0, err
	}
	if f := strings.Fields(line); len(f) >= 2 {
		status, _ = strconv.Atoi(f[1])
	}
	length := 0
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return "", status, err
		}
		if h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", status, err
	}
	return string(b), status, nil
}

// loadConfig is generation k of the config the load test cycles through:
// /r alternates between a and b, /s stays on b, /extra exists in odd
// generations only.
func loadConfig(k int) (cfg harness.Config, rTarget string, extra bool) {
	routes := map[string]string{"/r": "a", "/s": "b"}
	rTarget = "a"
	if k%2 == 1 {
		routes["/r"], rTarget = "b", "b"
		routes["/extra"] = "a"
	}
	return reloadConfig(routes, nil), rTarget, k%2 == 1
}

// reloadUnderLoad keeps 20 keep-alive clients busy for d while the config
// is rewritten and reloaded n times, then checks that no request failed, no
// connection was dropped, and every request sent after a reload completed
// (and before the next one started) followed the new routes.
func reloadUnderLoad(t *testing.T, d time.Duration, n int) {
	impl := oursOnly(t)
	cfg, _, _ := loadConfig(0)
	s := harness.Start(t, impl, cfg)
	waitRunning(t, s)
	for _, name := range []string{"a", "b"} {
		s.Handler(t, name).OnMessage(answerAs(name))
	}

	const workers = 20
	var (
		mu      sync.Mutex
		stats   loadStats
		results = make([][]loadResult, workers)
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	for i := range workers {
		path := "/r"
		if i%4 == 3 {
			path = "/s"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = loadWorker(s.Addr, path, stop, &stats, &mu)
		}()
	}

	// sent[k] is when reload k was asked for, done[k] when a probe first
	// saw its routes; generation 0 is the start-up config.
	began := time.Now()
	sent, done, targets := []time.Time{began}, []time.Time{began}, []string{"a"}
	interval := d / time.Duration(n+1)
	var slowest time.Duration
	for k := 1; k <= n; k++ {
		time.Sleep(time.Until(began.Add(time.Duration(k) * interval)))
		cfg, target, extra := loadConfig(k)
		s.Reconfigure(t, cfg)
		sent = append(sent, time.Now())
		s.Signal(t, syscall.SIGHUP)
		ok := waitFor(func() bool { return probe(s.Addr, "/r") == target })
		done = append(done, time.Now())
		targets = append(targets, target)
		slowest = max(slowest, done[k].Sub(sent[k]))
		if !ok {
			t.Errorf("reload %d: /r never went to %s; error log:\n%s", k, target, tail(s.ErrorLog()))
		}
		wantExtra := resp404
		if extra {
			wantExtra = namedResponse("a")
		}
		if tr := getNew(t, s, "/extra"); string(tr.Data) != wantExtra {
			t.Errorf("reload %d: /extra answered %q, want %q", k, tr.Data, wantExtra)
		}
		for _, name := range []string{"a", "b"} {
			s.Handler(t, name).Forget()
		}
	}
	time.Sleep(time.Until(began.Add(d)))
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)

	checked, misrouted := 0, 0
	for _, rs := range results {
		for _, r := range rs {
			want := "b" // /s never moves
			if r.path == "/r" {
				k := generation(r.start, sent, done)
				if k < 0 {
					continue // sent while a reload was in progress: either is right
				}
				want = targets[k]
			}
			checked++
			if r.body != want {
				misrouted++
				if misrouted <= 10 {
					t.Errorf("%s sent at +%v answered by %s, want %s", r.path, r.start.Sub(began), r.body, want)
				}
			}
		}
	}
	if strings.Contains(s.ErrorLog(), "reload rejected") {
		t.Errorf("a reload was rejected:\n%s", tail(s.ErrorLog()))
	}
	if s.Exited() {
		t.Errorf("server exited: %s", s.Stderr())
	}
	t.Logf("%d clients, %v: %d requests (%.0f/s), %d reloads (slowest seen after %v), %d failures, %d dropped connections, %d answers checked against the routes of their time, %d misrouted",
		workers, elapsed.Round(time.Millisecond), stats.requests, float64(stats.requests)/elapsed.Seconds(), n, slowest.Round(time.Millisecond),
		stats.failures, stats.drops, checked, misrouted)
	if stats.failures != 0 || stats.drops != 0 {
		t.Errorf("%d failures and %d dropped connections, want none; first: %q", stats.failures, stats.drops, stats.firstErrors)
	}
	if stats.requests < 100*n {
		t.Errorf("only %d requests over %d reloads: the load did not run", stats.requests, n)
	}
}

// probe sends one GET on a fresh connection and returns the body of a 200
// answer, the status code of any other, or "" on errors. Unlike
// harness.Conn.Read it does not linger for more bytes, so that the moment
// a reload is seen is measured closely, and it leaves no connection open.
func probe(addr, path string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		return ""
	}
	body, status, err := readResponse(bufio.NewReader(c))
	switch {
	case err != nil:
		return ""
	case status != 200:
		return strconv.Itoa(status)
	}
	return body
}

// generation returns the config generation whose routes a request sent at
// start must follow, or -1 when it was sent during a reload.
func generation(start time.Time, sent, done []time.Time) int {
	for k := len(sent) - 1; k >= 0; k-- {
		if !start.Before(done[k]) {
			return k
		}
		if !start.Before(sent[k]) {
			return -1
		}
	}
	return 0
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// TestReloadUnderLoad: 5 reloads in 5 s under 20 busy keep-alive clients.
func TestReloadUnderLoad(t *testing.T) { reloadUnderLoad(t, 5*time.Second, 5) }

// TestReloadUnderLoadLong: 10 reloads in 20 s. It runs when
// BAREKU_INTEGRATION_LONG=1, since the whole suite already skips with
// -short.
func TestReloadUnderLoadLong(t *testing.T) {
	if os.Getenv("BAREKU_INTEGRATION_LONG") != "1" {
		t.Skip("set BAREKU_INTEGRATION_LONG=1 for the 20 s run")
	}
	reloadUnderLoad(t, 20*time.Second, 10)
}
