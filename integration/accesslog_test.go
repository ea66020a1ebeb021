package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/integration/harness"
)

// accessLogConfig routes only /handler, so that other paths are routing
// 404s.
func accessLogConfig(settings map[string]string) harness.Config {
	return harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: map[string]string{"/handler": "json"}}},
		Handlers: []harness.HandlerSpec{{Name: "json", Ident: jsonIdent}},
		Settings: settings,
	}
}

// accessLogWait bounds the wait for Mongrel2's background log writer.
const accessLogWait = 5 * time.Second

// waitAccessLines waits until the access log has at least n lines and
// returns them.
func waitAccessLines(t *testing.T, s *harness.Server, n int) []string {
	t.Helper()
	deadline := time.Now().Add(accessLogWait)
	for {
		lines := harness.Lines(s.AccessLog())
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log has %d lines after %v, want %d:\n%s", len(lines), accessLogWait, n, s.AccessLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// accessTypes are the tnetstring types of the nine fields of an access-log
// line (spec §10.3): host, remote_addr, remote_port, time, method, path,
// version, status, size.
const accessTypes = ",,##,,,##"

// checkAccessLine asserts the shape of one access-log line, that it is
// canonically encoded, that the remote port is the client's and the time is
// now, and returns the line with port and time normalised.
func checkAccessLine(t *testing.T, line string, clientPort int) string {
	t.Helper()
	v, err := harness.ParseTNet([]byte(line))
	if err != nil || v.Tag != ']' || len(v.Items) != len(accessTypes) {
		t.Errorf("access log line %q is not a tnetstring list of %d items (%v)", line, len(accessTypes), err)
		return line
	}
	var enc string
	for i, it := range v.Items {
		if it.Tag != accessTypes[i] {
			t.Errorf("access log line %q: item %d is of type %q, want %q", line, i, it.Tag, accessTypes[i])
			return line
		}
		if it.Tag == '#' {
			enc += harness.TNetInt(it.Int)
		} else {
			enc += harness.TNetString(it.Str)
		}
	}
	if enc = harness.TNetList(enc); enc != line {
		t.Errorf("access log line %q is not canonical (%q)", line, enc)
	}
	if port := v.Items[2].Int; port != int64(clientPort) {
		t.Errorf("access log line %q: remote port %d, want the client's %d", line, port, clientPort)
	}
	if at := time.Unix(v.Items[3].Int, 0); time.Since(at).Abs() > time.Minute {
		t.Errorf("access log line %q: time %v is not now", line, at)
	}
	v.Items[2] = harness.TNet{Tag: '#', Str: "PORT"}
	v.Items[3] = harness.TNet{Tag: '#', Str: "TIME"}
	return v.String()
}

// TestAccessLog: handler requests are logged as tnetstring lists with the
// Host name, client address and port, time, request line, status 200 and
// the request body size; a 400 and a routing 404 are not logged (spec
// §10.3).
func TestAccessLog(t *testing.T) {
	differential(t, accessLogConfig(nil), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		h.OnMessage(harness.Respond(okResponse))
		logged := 0
		for _, tc := range []struct{ name, req, want string }{
			{"GET", "GET /handler/a?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
				`["localhost", "127.0.0.1", PORT, TIME, "GET", "/handler/a", "HTTP/1.1", 200, 0]`},
			{"POST with a body", "POST /handler/p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
				`["localhost", "127.0.0.1", PORT, TIME, "POST", "/handler/p", "HTTP/1.1", 200, 5]`},
			{"HTTP/1.0", "GET /handler/old HTTP/1.0\r\n\r\n",
				`["localhost", "127.0.0.1", PORT, TIME, "GET", "/handler/old", "HTTP/1.0", 200, 0]`},
			{"other Host header", "GET /handler/h HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n",
				`["localhost", "127.0.0.1", PORT, TIME, "GET", "/handler/h", "HTTP/1.1", 200, 0]`},
		} {
			c := s.Dial(t)
			c.Write(tc.req)
			expectOpen(t, tc.name, o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
			logged++
			lines := waitAccessLines(t, s, logged)
			if len(lines) != logged {
				t.Fatalf("%s: access log has %d lines, want %d:\n%s", tc.name, len(lines), logged, s.AccessLog())
			}
			got := checkAccessLine(t, lines[logged-1], c.LocalPort())
			o.fact(tc.name, got)
			if got != tc.want {
				t.Errorf("%s: access log line\n got %s\nwant %s", tc.name, got, tc.want)
			}
		}
		if !strings.HasSuffix(s.AccessLog(), "\n") {
			t.Errorf("access log does not end with a newline: %q", s.AccessLog())
		}

		// Not logged: a parse error and a routing 404. A logged request
		// after them flushes the writer's queue, which is FIFO.
		for _, tc := range []struct{ name, req, want string }{
			{"400", "GARBAGE\r\n\r\n", resp400},
			{"404", "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n", resp404},
		} {
			c := s.Dial(t)
			c.Write(tc.req)
			expectCanned(t, tc.name, o.client(c.Read(harness.UntilClose)), tc.want)
		}
		c := s.Dial(t)
		c.Write("GET /handler/last HTTP/1.1\r\nHost: localhost\r\n\r\n")
		expectOpen(t, "last", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		logged++
		time.Sleep(settle)
		lines := waitAccessLines(t, s, logged)
		o.fact("lines in the end", len(lines))
		if len(lines) != logged {
			t.Errorf("access log has %d lines, want %d (400 and 404 not logged):\n%s", len(lines), logged, s.AccessLog())
		}
		got := checkAccessLine(t, lines[len(lines)-1], c.LocalPort())
		o.fact("last line", got)
		if !strings.Contains(got, `"/handler/last"`) {
			t.Errorf("last access log line %s, want the request for /handler/last", got)
		}
	})
}

// TestAccessLogDisabled: with disable.access_logging=1 no access log file
// is written at all (spec §7.4).
func TestAccessLogDisabled(t *testing.T) {
	differential(t, accessLogConfig(map[string]string{"disable.access_logging": "1"}), func(t *testing.T, s *harness.Server, o *outcome) {
		waitRunning(t, s)
		h := s.Handler(t, "json")
		h.OnMessage(harness.Respond(okResponse))
		for i := range 3 {
			c := s.Dial(t)
			c.Write("GET /handler/" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
			expectOpen(t, "request", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		}
		time.Sleep(2 * settle)
		_, err := os.Stat(s.AccessLogPath())
		o.fact("access log exists", err == nil)
		if err == nil {
			t.Errorf("access log written although disabled:\n%s", s.AccessLog())
		}
	})
}
