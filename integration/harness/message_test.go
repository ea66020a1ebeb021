package harness

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

// Messages captured from Mongrel2 1.12.2 (spec §2.2, §2.4), plus the raw
// bytes its JSON encoder lets through (spec §2.3).
var (
	specGET     = `34f9ceee-cd52-4b7f-b197-88bf2f0ec378 1 /handler 231:{"PATH":"/handler","x-forwarded-for":"127.0.0.1","user-agent":"t","host":"localhost","METHOD":"GET","VERSION":"HTTP/1.1","URI":"/handler?x=1&y=2","QUERY":"x=1&y=2","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},0:,`
	specPOST    = `34f9ceee-cd52-4b7f-b197-88bf2f0ec378 3 /handler/post 272:{"PATH":"/handler/post","x-forwarded-for":"127.0.0.1","content-type":"application/x-www-form-urlencoded","content-length":"11","host":"localhost","METHOD":"POST","VERSION":"HTTP/1.1","URI":"/handler/post","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},11:hello=world,`
	specTNet    = `aaaa-bbbb-tnet 2 /tnet/a/b 287:11:REMOTE_ADDR,9:127.0.0.1,6:METHOD,3:GET,10:URL_SCHEME,4:http,7:PATTERN,5:/tnet,8:FRAGMENT,4:frag,5:QUERY,10:x=1&y=%20z,3:URI,20:/tnet/a/b?x=1&y=%20z,7:VERSION,8:HTTP/1.1,4:PATH,9:/tnet/a/b,4:host,15:localhost:18080,6:accept,3:*/*,15:x-forwarded-for,9:127.0.0.1,5:x-dup,12:3:one,3:two,]}0:,`
	specJSONEnd = `34f9ceee-cd52-4b7f-b197-88bf2f0ec378 99999 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	specTNetEnd = `aaaa-bbbb-tnet 4 @* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},`
	rawBytes    = jsonMessage("5", "{\"x-tab\":\"a\tb\",\"x-bin\":\"\xff\xfe\",\"q\":\"\\\"\\\\\"}")
	escaped     = jsonMessage("6", `{"x-tab":"a\u0009b","x-bin":"\u00ff\u00fe","e":"\ud83d\ude00"}`)
)

// jsonMessage frames a request for connection id with JSON headers and no
// body.
func jsonMessage(id, headers string) string {
	return "u " + id + " /h " + strconv.Itoa(len(headers)) + ":" + headers + ",0:,"
}

func one(v string) Header      { return Header{Values: []string{v}} }
func list(vs ...string) Header { return Header{Values: vs, List: true} }
func hdrs(kv ...any) map[string]Header {
	m := map[string]Header{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(Header)
	}
	return m
}

func TestParseMessage(t *testing.T) {
	cases := []struct {
		name, raw      string
		uuid, id, path string
		format, body   string
		headers        map[string]Header
	}{
		{"spec GET", specGET, "34f9ceee-cd52-4b7f-b197-88bf2f0ec378", "1", "/handler", FormatJSON, "", hdrs(
			"PATH", one("/handler"), "x-forwarded-for", one("127.0.0.1"), "user-agent", one("t"),
			"host", one("localhost"), "METHOD", one("GET"), "VERSION", one("HTTP/1.1"),
			"URI", one("/handler?x=1&y=2"), "QUERY", one("x=1&y=2"), "PATTERN", one("/handler"),
			"URL_SCHEME", one("http"), "REMOTE_ADDR", one("127.0.0.1"))},
		{"spec POST", specPOST, "34f9ceee-cd52-4b7f-b197-88bf2f0ec378", "3", "/handler/post", FormatJSON, "hello=world", hdrs(
			"PATH", one("/handler/post"), "x-forwarded-for", one("127.0.0.1"),
			"content-type", one("application/x-www-form-urlencoded"), "content-length", one("11"),
			"host", one("localhost"), "METHOD", one("POST"), "VERSION", one("HTTP/1.1"),
			"URI", one("/handler/post"), "PATTERN", one("/handler"),
			"URL_SCHEME", one("http"), "REMOTE_ADDR", one("127.0.0.1"))},
		{"spec tnetstring", specTNet, "aaaa-bbbb-tnet", "2", "/tnet/a/b", FormatTNetstring, "", hdrs(
			"REMOTE_ADDR", one("127.0.0.1"), "METHOD", one("GET"), "URL_SCHEME", one("http"),
			"PATTERN", one("/tnet"), "FRAGMENT", one("frag"), "QUERY", one("x=1&y=%20z"),
			"URI", one("/tnet/a/b?x=1&y=%20z"), "VERSION", one("HTTP/1.1"), "PATH", one("/tnet/a/b"),
			"host", one("localhost:18080"), "accept", one("*/*"), "x-forwarded-for", one("127.0.0.1"),
			"x-dup", list("one", "two"))},
		{"JSON disconnect", specJSONEnd, "34f9ceee-cd52-4b7f-b197-88bf2f0ec378", "99999", "@*", FormatJSON,
			`{"type":"disconnect"}`, hdrs("METHOD", one("JSON"))},
		{"tnetstring disconnect", specTNetEnd, "aaaa-bbbb-tnet", "4", "@*", FormatTNetstring,
			`{"type":"disconnect"}`, hdrs("METHOD", one("JSON"))},
		{"raw bytes kept", rawBytes, "u", "5", "/h", FormatJSON, "", hdrs(
			"x-tab", one("a\tb"), "x-bin", one("\xff\xfe"), "q", one(`"\`))},
		{"escapes decoded", escaped, "u", "6", "/h", FormatJSON, "", hdrs(
			"x-tab", one("a\tb"), "x-bin", one("\u00ff\u00fe"), "e", one("\U0001F600"))},
		{"empty list and value", jsonMessage("7", `{"l":[],"e":""}`), "u", "7", "/h", FormatJSON, "",
			hdrs("l", Header{List: true}, "e", one(""))},
		{"empty object", jsonMessage("8", `{}`), "u", "8", "/h", FormatJSON, "", hdrs()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			got := []string{m.UUID, m.ID, m.Path, m.Format, string(m.Body)}
			want := []string{tc.uuid, tc.id, tc.path, tc.format, tc.body}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fields %q, want %q", got, want)
			}
			if !reflect.DeepEqual(m.Headers, tc.headers) {
				t.Errorf("headers\n got %v\nwant %v", m.Headers, tc.headers)
			}
			if m.IsEvent() != (tc.path == "@*") {
				t.Errorf("IsEvent() = %v", m.IsEvent())
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	for _, raw := range []string{
		"",
		"u 1 /h",
		"u x /h 2:{},0:,",
		"u 4294967296 /h 2:{},0:,",
		"u 1 /h 3:{},0:,",               // length beyond the payload's end
		"u 1 /h 2:{}]0:,",               // a list is not a header dict
		"u 1 /h 2:{},0:,x",              // trailing byte
		"u 1 /h 2:{},0:}",               // body must be a string
		"u 1 /h 5:{\"a\"},0:,",          // key without value
		"u 1 /h 8:{\"a\":1},0:,",        // numbers are never emitted
		"u 1 /h 7:{\"a\":\"},0:,",       // unterminated string
		"u 1 /h 10:{\"a\":\"\\x\"},0:,", // unknown escape
		"u 1 /h 6:1:a,1:,,0:,",          // tnetstring dict must end in }
		"u 1 /h 7:1:a,1:1#}0:,",         // integer header value
	} {
		if m, err := ParseMessage([]byte(raw)); err == nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseMessage(%q) = %+v, %v; want an ErrMalformed error", raw, m, err)
		}
	}
}

func TestAppendReply(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(AppendReply(nil, "uuid", []string{"1"}, []byte("hi"))), "uuid 1:1, hi"},
		{string(AppendReply(nil, "uuid", []string{"12", "345"}, []byte("hi"))), "uuid 6:12 345, hi"},
		{string(AppendReply(nil, "uuid", []string{"7"}, nil)), "uuid 1:7, "},
		{string(AppendControl(nil, "s2-handler", []string{"3"}, "keep-alive")), "s2-handler 3:X 3, 27:3:ctl,17:10:keep-alive,0:~}]"},
		{string(AppendControl(nil, "u", []string{"3", "44"}, "cancel")), "u 6:X 3 44, 22:3:ctl,12:6:cancel,0:~}]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestCountResponses(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	for _, tc := range []struct {
		data string
		want int
	}{
		{"", 0},
		{ok[:len(ok)-1], 0},
		{ok, 1},
		{"HTTP/1.1 100 Continue\r\n\r\n" + ok, 2},
		{ok + ok + "HTTP/1.1 200 OK\r\ncontent-length:  3\r\n\r\nab", 2},
	} {
		if got := CountResponses([]byte(tc.data)); got != tc.want {
			t.Errorf("CountResponses(%q) = %d, want %d", tc.data, got, tc.want)
		}
	}
}
