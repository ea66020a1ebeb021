package m2

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseRequestCaptured(t *testing.T) {
	caps := capturedRequests()
	for _, tc := range []struct {
		capture int
		uuid    string
		id      uint64
		path    string
		proto   Protocol
		headers map[string][]string
		body    string
	}{
		{0, testUUID, 1, "/handler", JSON, map[string][]string{
			"PATH": {"/handler"}, "x-forwarded-for": {"127.0.0.1"}, "user-agent": {"t"}, "host": {"localhost"},
			"METHOD": {"GET"}, "VERSION": {"HTTP/1.1"}, "URI": {"/handler?x=1&y=2"}, "QUERY": {"x=1&y=2"},
			"PATTERN": {"/handler"}, "URL_SCHEME": {"http"}, "REMOTE_ADDR": {"127.0.0.1"},
		}, ""},
		{3, testUUID, 10, "@chat", JSON, map[string][]string{
			"PATH": {"@chat"}, "x-forwarded-for": {"127.0.0.1"}, "METHOD": {"JSON"}, "PATTERN": {"@chat"},
			"URL_SCHEME": {"http"}, "REMOTE_ADDR": {"127.0.0.1"},
		}, `{"msg":"hello"}`},
		{4, "aaaa-bbbb-tnet", 2, "/tnet/a/b", TNetstring, map[string][]string{
			"REMOTE_ADDR": {"127.0.0.1"}, "METHOD": {"GET"}, "URL_SCHEME": {"http"}, "PATTERN": {"/tnet"},
			"FRAGMENT": {"frag"}, "QUERY": {"x=1&y=%20z"}, "URI": {"/tnet/a/b?x=1&y=%20z"}, "VERSION": {"HTTP/1.1"},
			"PATH": {"/tnet/a/b"}, "host": {"localhost:18080"}, "accept": {"*/*"}, "x-forwarded-for": {"127.0.0.1"},
			"x-dup": {"one", "two"},
		}, ""},
		{5, "aaaa-bbbb-tnet", 4, "/tnet/post", TNetstring, map[string][]string{
			"REMOTE_ADDR": {"127.0.0.1"}, "METHOD": {"POST"}, "URL_SCHEME": {"http"}, "PATTERN": {"/tnet"},
			"URI": {"/tnet/post"}, "VERSION": {"HTTP/1.0"}, "PATH": {"/tnet/post"}, "host": {"localhost"},
			"content-length": {"5"}, "x-forwarded-for": {"127.0.0.1"},
		}, "\x00\x01\x02ab"},
	} {
		c := caps[tc.capture]
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseRequest([]byte(c.wire))
			if err != nil {
				t.Fatal(err)
			}
			if m.UUID != tc.uuid || m.ID != tc.id || m.Path != tc.path || m.Protocol != tc.proto || string(m.Body) != tc.body {
				t.Errorf("got %q %d %q %v %q", m.UUID, m.ID, m.Path, m.Protocol, m.Body)
			}
			if !maps.EqualFunc(m.Headers, tc.headers, slices.Equal) {
				t.Errorf("headers %v\nwant    %v", m.Headers, tc.headers)
			}
		})
	}
	// Every captured message parses, and its fields match what it was encoded from.
	for _, c := range caps {
		m, err := ParseRequest([]byte(c.wire))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Header("PATH") != string(c.req.Path) || m.Header("METHOD") != string(c.req.Method) || string(m.Body) != string(c.req.Body) {
			t.Errorf("%s: PATH %q METHOD %q body %q", c.name, m.Header("PATH"), m.Header("METHOD"), m.Body)
		}
	}
}

func TestParseRequestJSONStrings(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       map[string][]string
	}{
		// Mongrel2 writes control bytes and invalid UTF-8 raw (spec §2.3).
		{"raw tab and bytes", "{\"x-tab\":\"a\tb\",\"x-bin\":\"\xff\xfe\"}",
			map[string][]string{"x-tab": {"a\tb"}, "x-bin": {"\xff\xfe"}}},
		{"escapes", `{"k":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac"}`,
			map[string][]string{"k": {"\"\\/\b\f\n\r\tA\u00e9\u20ac"}}},
		{"surrogate pair", `{"k":"\ud83d\ude00"}`, map[string][]string{"k": {"\U0001F600"}}},
		{"lone surrogates", `{"k":"\ud83dx\ude00"}`, map[string][]string{"k": {"\uFFFDx\uFFFD"}}},
		{"high surrogate then other escape", `{"k":"\ud83d\u0041"}`, map[string][]string{"k": {"\uFFFDA"}}},
		{"our escape of a stray byte", `{"k":"\u00ff"}`, map[string][]string{"k": {"\u00ff"}}},
		{"arrays", `{"a":["1","2"],"b":[],"c":"3"}`, map[string][]string{"a": {"1", "2"}, "b": {}, "c": {"3"}}},
		{"white space", " { \"a\" : [ \"1\" , \"2\" ] , \"c\" : \"3\" } ", map[string][]string{"a": {"1", "2"}, "c": {"3"}}},
		{"repeated key", `{"a":"1","a":["2","3"]}`, map[string][]string{"a": {"1", "2", "3"}}},
		{"empty", `{}`, map[string][]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string][]string{}
			if err := decodeJSONHeaders([]byte(tc.json), h); err != nil {
				t.Fatalf("decode %q: %v", tc.json, err)
			}
			if !maps.EqualFunc(h, tc.want, slices.Equal) {
				t.Errorf("got %q, want %q", h, tc.want)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	// withJSON wraps a JSON header text in a message with an empty body.
	withJSON := func(obj string) string { return fmt.Sprintf("u 1 / %d:%s,0:,", len(obj), obj) }
	for _, tc := range []struct{ name, msg, why string }{
		{"empty", "", "no uuid"},
		{"uuid only", "u", "no uuid"},
		{"no id", "u ", "no connection id"},
		{"empty uuid", " 1 / 2:{},0:,", "no uuid"},
		{"bad id", "u x / 2:{},0:,", "connection id"},
		{"negative id", "u -1 / 2:{},0:,", "connection id"},
		{"no path", "u 1 ", "no path"},
		{"no headers", "u 1 / ", "headers: tnetstring: truncated"},
		{"headers not a netstring", "u 1 / {},0:,", "headers: tnetstring: invalid length"},
		{"headers a list", "u 1 / 0:]0:,", "neither a JSON netstring nor a tnetstring dict"},
		{"headers truncated", "u 1 / 9:{},0:,", "headers: tnetstring: truncated"},
		{"json number value", withJSON(`{"a":1}`), "want a string"},
		{"json object value", withJSON(`{"a":{}}`), "want a string"},
		{"json array of numbers", withJSON(`{"a":[1]}`), "want a string"},
		{"json not an object", withJSON(`[]`), "want {"},
		{"json trailing data", withJSON(`{}x`), "data after the object"},
		{"json missing colon", withJSON(`{"a""b"}`), "want :"},
		{"json missing comma", withJSON(`{"a":"b""c":"d"}`), "want , or }"},
		{"json unterminated string", withJSON(`{"a":"}`), "unterminated"},
		{"json unterminated escaped string", withJSON(`{"a":"\"}`), "unterminated"},
		{"json unterminated object", withJSON(`{"a":"b"`), "want , or }"},
		{"json bad escape", withJSON(`{"a":"\x"}`), "bad escape"},
		{"json bad unicode escape", withJSON(`{"a":"\u12g4"}`), `bad \u escape`},
		{"json short unicode escape", withJSON(`{"a":"\u12"}`), `bad \u escape`},
		{"json array missing comma", withJSON(`{"a":["1" "2"]}`), "want , or ]"},
		{"tnet int value", "u 1 / 8:1:a,1:1#}0:,", "neither a string nor a list"},
		{"tnet list of ints", "u 1 / 11:1:a,4:1:1#]}0:,", "list element is not a string"},
		{"tnet key without value", "u 1 / 4:1:a,}0:,", "invalid dict key"},
		{"no body", `u 1 / 2:{},`, "body: tnetstring: truncated"},
		{"body not a string", `u 1 / 2:{},0:]`, "body is not a netstring"},
		{"body truncated", `u 1 / 2:{},5:ab,`, "body: tnetstring: truncated"},
		{"bytes after body", `u 1 / 2:{},0:,x`, "1 bytes after the body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseRequest([]byte(tc.msg))
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("ParseRequest(%q) = %+v, %v; want ErrInvalidRequest (%s)", tc.msg, m, err, tc.why)
			}
		})
	}
}

func TestMessageHelpers(t *testing.T) {
	m, err := ParseRequest([]byte(`u 3 @chat 42:{"METHOD":"JSON","x-a":["1","2"],"x-e":[]},21:{"type":"disconnect"},`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header("x-a") != "1" || m.Header("x-e") != "" || m.Header("missing") != "" || m.Header("X-A") != "" {
		t.Errorf("Header: %q %q %q %q", m.Header("x-a"), m.Header("x-e"), m.Header("missing"), m.Header("X-A"))
	}
	if !m.IsDisconnect() {
		t.Error("IsDisconnect false for a disconnect")
	}
	for _, msg := range []string{
		`u 3 @chat 17:{"METHOD":"JSON"},15:{"msg":"hello"},`,
		`u 3 / 16:{"METHOD":"GET"},21:{"type":"disconnect"},`,
	} {
		m, err := ParseRequest([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if m.IsDisconnect() {
			t.Errorf("IsDisconnect true for %q", msg)
		}
	}
}
