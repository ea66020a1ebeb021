package integration

import (
	"fmt"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// respondAs answers each request with its handler's name as body and then
// closes, so the client can tell which handler served it.
func respondAs(name string) harness.Policy {
	return harness.RespondAndClose(namedResponse(name))
}

func namedResponse(name string) string {
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(name), name)
}

// TestHostRouting checks host selection by reversed suffix patterns and the
// default-host fallback (spec §3.6, §4.4), including the quirks: the suffix
// match accepts badexample.com and, via the shorter-than-key rule,
// ample.com; matching is case-sensitive; the port is cut off.
func TestHostRouting(t *testing.T) {
	cfg := harness.Config{
		Hosts: []harness.Host{
			{Name: "localhost", Routes: map[string]string{"/": "dflt"}},
			{Name: "example.com", Routes: map[string]string{"/": "ex"}},
			{Name: "wild", Matching: "(.*).wild.org", Routes: map[string]string{"/": "wild"}},
			{Name: "lit", Matching: "*.lit.com", Routes: map[string]string{"/": "lit"}},
		},
		Handlers: []harness.HandlerSpec{{Name: "dflt"}, {Name: "ex"}, {Name: "wild"}, {Name: "lit"}},
	}
	cases := []struct{ host, want string }{
		{"localhost", "dflt"},
		{"example.com", "ex"},
		{"www.example.com", "ex"},
		{"example.com:8080", "ex"},
		{"badexample.com", "ex"},
		{"ample.com", "ex"},
		{"EXAMPLE.COM", "dflt"},
		{"a.b.wild.org", "wild"},
		{".wild.org", "wild"},
		{"wild.org", "dflt"},
		{"unknown.net", "dflt"},
		{"[::1]:80", "dflt"},
		{"a.lit.com", "dflt"}, // * is literal without parentheses
		{"x*.lit.com", "lit"},
		{"example.com\r\nHost: localhost", "ex"}, // the first Host wins
		{"", "dflt"},                             // no Host header at all
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		var hs []*harness.Handler
		for _, spec := range cfg.Handlers {
			h := s.Handler(t, spec.Name)
			h.OnMessage(respondAs(spec.Name))
			hs = append(hs, h)
		}
		seen := make([]int, len(hs))
		for _, tc := range cases {
			req := "GET /x HTTP/1.1\r\n\r\n"
			if tc.host != "" {
				req = "GET /x HTTP/1.1\r\nHost: " + tc.host + "\r\n\r\n"
			}
			c := s.Dial(t)
			c.Write(req)
			tr := o.client(c.Read(harness.UntilClose))
			expectCanned(t, "Host: "+tc.host, tr, namedResponse(tc.want))
			// Each request reaches exactly one handler: record it,
			// whichever it was.
			for i, h := range hs {
				ms := h.Messages()
				o.message(ms[seen[i]:]...)
				seen[i] = len(ms)
			}
		}
	})
}

// TestPathRouting checks the prefix/pattern route table (spec §4.1, §4.2):
// longest prefix, patterns anchored after the prefix, `$` routes, no
// fallback to `/` once a prefix node was chosen, and the quirk that a path
// shorter than a route key matches that longer route.
func TestPathRouting(t *testing.T) {
	routes := []string{`/`, `/users`, `/pat/(\d+)`, `/img/(.*).jpg$`, `/img/(.*).png$`, `/foobar/`, `/tail()$`,
		`/o/(\d+)`, `/o/(\d+)x`, `/o/(\d)`}
	cfg := harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: map[string]string{}}},
		Handlers: []harness.HandlerSpec{{Name: "h"}},
	}
	for _, r := range routes {
		cfg.Hosts[0].Routes[r] = "h"
	}
	// pattern "" means 404; "?" means any route, left to the comparison
	cases := []struct{ path, pattern string }{
		{"/", "/"},
		{"/x", "/"},
		{"/users", "/users"},
		{"/usersXYZ", "/users"},
		{"/users/1", "/users"},
		{"/us", "/users"},
		{"/u", "/users"},
		{"/f", "/foobar/"},
		{"/foobar", "/foobar/"},
		{"/foobar/baz", "/foobar/"},
		{"/pat/123", `/pat/(\d+)`},
		{"/pat/123abc", `/pat/(\d+)`},
		{"/pat/abc", ""},
		{"/pat/", ""},
		{"/img/x.jpg", `/img/(.*).jpg$`},
		{"/img/a/b.jpg", `/img/(.*).jpg$`},
		{"/img/x.png", `/img/(.*).png$`},
		{"/img/x.bmp", ""},
		{"/img/x.jpgz", ""},
		{"/tail", `/tail()$`},
		{"/tailx", ""},
		{"/ta", ""},
		{"/o/12x", "?"}, // several chained patterns match: compared only
		{"/o/1", "?"},
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "h")
		h.OnMessage(respondAs("h"))
		for _, tc := range cases {
			seen := len(h.Messages())
			c := s.Dial(t)
			c.Write("GET " + tc.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
			tr := o.client(c.Read(harness.UntilClose))
			if tc.pattern == "" {
				expectCanned(t, tc.path, tr, resp404)
				continue
			}
			expectCanned(t, tc.path, tr, namedResponse("h"))
			m := h.Wait(t, seen+1)[seen]
			o.message(m)
			if tc.pattern == "?" {
				t.Logf("%s routed as %s", tc.path, m.Get("PATTERN"))
			}
			if (tc.pattern != "?" && m.Get("PATTERN") != tc.pattern) || m.Path != tc.path {
				t.Errorf("%s: routed as PATTERN %q PATH %q, want %q", tc.path, m.Get("PATTERN"), m.Path, tc.pattern)
			}
		}
		if got := h.Settle(settle); len(got) != len(o.messages) {
			t.Errorf("handler got %d messages, want %d:%s", len(got), len(o.messages), raws(got))
		}
	})
}

// TestNoRoute: a path no route matches gets the canned 404 and a close
// (spec §3.5, §3.4); targets without a leading slash parse as such paths
// (§3.1).
func TestNoRoute(t *testing.T) {
	cfg := harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: map[string]string{"/handler": "h"}}},
		Handlers: []harness.HandlerSpec{{Name: "h"}},
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "h")
		for _, path := range []string{"/zzz", "/a/handler", "*", "handler"} {
			c := s.Dial(t)
			c.Write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
			expectCanned(t, path, o.client(c.Read(harness.UntilClose)), resp404)
		}
		if got := h.Settle(settle); len(got) != 0 {
			t.Errorf("handler got %d messages, want none:%s", len(got), raws(got))
		}
	})
}
