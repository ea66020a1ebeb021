package integration

import (
	"strings"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// TestBadRequests sends request heads the Ragel grammar rejects (spec §3.1,
// §3.2) to a handler route: each gets exactly the canned 400 and a close,
// and the handler sees nothing.
func TestBadRequests(t *testing.T) {
	cases := []struct{ name, request string }{
		{"lower-case method", "get /handler HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{"dash in method", "M-SEARCH /handler HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{"21-character method", "ABCDEFGHIJKLMNOPQRSTU /handler HTTP/1.1\r\n\r\n"},
		{"HTTP/1.2", "GET /handler HTTP/1.2\r\nHost: localhost\r\n\r\n"},
		{"HTTP/2.0", "GET /handler HTTP/2.0\r\nHost: localhost\r\n\r\n"},
		{"lower-case version", "GET /handler http/1.1\r\nHost: localhost\r\n\r\n"},
		{"no version", "GET /handler\r\n\r\n"},
		{"two spaces", "GET  /handler HTTP/1.1\r\n\r\n"},
		{"space in target", "GET /handler/a b HTTP/1.1\r\n\r\n"},
		{"braces in target", "GET /handler/{x} HTTP/1.1\r\n\r\n"},
		{"pipe in target", "GET /handler/a|b HTTP/1.1\r\n\r\n"},
		{"quote in target", "GET /handler/\"x\" HTTP/1.1\r\n\r\n"},
		{"backslash in target", "GET /handler/a\\b HTTP/1.1\r\n\r\n"},
		{"non-ASCII in target", "GET /handler/\xc3\xa9 HTTP/1.1\r\n\r\n"},
		{"bad percent escape", "GET /handler/%zz HTTP/1.1\r\n\r\n"},
		{"short percent escape", "GET /handler/%4 HTTP/1.1\r\n\r\n"},
		{"leading blank line", "\r\nGET /handler HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{"leading space", " GET /handler HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{"header folding", "GET /handler HTTP/1.1\r\nX-Fold: a\r\n b\r\n\r\n"},
		{"space before colon", "GET /handler HTTP/1.1\r\nX-Sp : v\r\n\r\n"},
		{"separator in header name", "GET /handler HTTP/1.1\r\nX(y): v\r\n\r\n"},
		{"head over limits.buffer_size", "GET /handler HTTP/1.1\r\nX-Big: " + strings.Repeat("a", 4100) + "\r\n\r\n"},
	}
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		for _, tc := range cases {
			c := s.Dial(t)
			c.Write(tc.request)
			expectCanned(t, tc.name, o.client(c.Read(harness.UntilClose)), resp400)
		}
		if got := h.Settle(settle); len(got) != 0 {
			t.Errorf("handler got %d messages, want none:%s", len(got), raws(got))
		}
	})
}
