package m2

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const testUUID = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"

func hdrs(kv ...string) []Header {
	var hs []Header
	for i := 0; i < len(kv); i += 2 {
		hs = append(hs, Header{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return hs
}

func b(s string) []byte { return []byte(s) }

// httpRequest fills the server keys every captured HTTP request has.
func httpRequest(uuid string, id uint64, method, path, uri, pattern string, headers []Header, body string) *Request {
	return &Request{
		UUID: b(uuid), ID: id, Path: b(path),
		Method: b(method), Version: b("HTTP/1.1"), URI: b(uri),
		Pattern: b(pattern), URLScheme: b("http"), RemoteAddr: b("127.0.0.1"),
		Headers: headers, ForwardedFor: b("127.0.0.1"), Body: b(body),
	}
}

// Captured request messages (spec §2.2, §2.6, §2.7). Mongrel2 orders
// client headers by its hash table; the requests here list the client
// headers in the order the capture shows them, so the bytes match exactly.
// TestEncodeArrivalOrder covers the order clients really sent.
func capturedRequests() []struct {
	name  string
	proto Protocol
	req   *Request
	wire  string
} {
	get := httpRequest(testUUID, 1, "GET", "/handler", "/handler?x=1&y=2", "/handler",
		hdrs("user-agent", "t", "host", "localhost"), "")
	get.Query, get.HasQuery = b("x=1&y=2"), true

	post := httpRequest(testUUID, 3, "POST", "/handler/post", "/handler/post", "/handler",
		hdrs("content-type", "application/x-www-form-urlencoded", "content-length", "11", "host", "localhost"), "hello=world")

	ws := httpRequest(testUUID, 6, "WEBSOCKET_HANDSHAKE", "/ws", "/ws", "/ws",
		hdrs("origin", "http://localhost", "connection", "Upgrade", "sec-websocket-version", "13",
			"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==", "host", "localhost", "upgrade", "websocket"),
		"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

	chat := &Request{
		UUID: b(testUUID), ID: 10, Path: b("@chat"), Method: b("JSON"),
		Pattern: b("@chat"), URLScheme: b("http"), RemoteAddr: b("127.0.0.1"),
		ForwardedFor: b("127.0.0.1"), Body: b(`{"msg":"hello"}`),
	}

	// In this capture x-forwarded-for sits among the client headers, which
	// only the no_clobber_xff=1 form (ForwardedFor nil) reproduces.
	tnetGet := httpRequest("aaaa-bbbb-tnet", 2, "GET", "/tnet/a/b", "/tnet/a/b?x=1&y=%20z", "/tnet",
		hdrs("host", "localhost:18080", "accept", "*/*", "x-forwarded-for", "127.0.0.1", "x-dup", "one", "x-dup", "two"), "")
	tnetGet.ForwardedFor = nil
	tnetGet.Query, tnetGet.HasQuery = b("x=1&y=%20z"), true
	tnetGet.Fragment, tnetGet.HasFragment = b("frag"), true

	// The capture elided the middle of this one; the restored keys add up
	// to its 216-byte length.
	tnetPost := httpRequest("aaaa-bbbb-tnet", 4, "POST", "/tnet/post", "/tnet/post", "/tnet",
		hdrs("host", "localhost", "content-length", "5"), "\x00\x01\x02ab")
	tnetPost.Version = b("HTTP/1.0")

	return []struct {
		name  string
		proto Protocol
		req   *Request
		wire  string
	}{
		{"json GET with query", JSON, get, testUUID + ` 1 /handler 231:{"PATH":"/handler","x-forwarded-for":"127.0.0.1","user-agent":"t","host":"localhost","METHOD":"GET","VERSION":"HTTP/1.1","URI":"/handler?x=1&y=2","QUERY":"x=1&y=2","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},0:,`},
		{"json POST", JSON, post, testUUID + ` 3 /handler/post 272:{"PATH":"/handler/post","x-forwarded-for":"127.0.0.1","content-type":"application/x-www-form-urlencoded","content-length":"11","host":"localhost","METHOD":"POST","VERSION":"HTTP/1.1","URI":"/handler/post","PATTERN":"/handler","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},11:hello=world,`},
		{"json websocket handshake", JSON, ws, testUUID + ` 6 /ws 338:{"PATH":"/ws","x-forwarded-for":"127.0.0.1","origin":"http://localhost","connection":"Upgrade","sec-websocket-version":"13","sec-websocket-key":"dGhlIHNhbXBsZSBub25jZQ==","host":"localhost","upgrade":"websocket","METHOD":"WEBSOCKET_HANDSHAKE","VERSION":"HTTP/1.1","URI":"/ws","PATTERN":"/ws","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},28:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=,`},
		{"json socket message", JSON, chat, testUUID + ` 10 @chat 126:{"PATH":"@chat","x-forwarded-for":"127.0.0.1","METHOD":"JSON","PATTERN":"@chat","URL_SCHEME":"http","REMOTE_ADDR":"127.0.0.1"},15:{"msg":"hello"},`},
		{"tnet GET with query, fragment and repeated header", TNetstring, tnetGet, `aaaa-bbbb-tnet 2 /tnet/a/b 287:11:REMOTE_ADDR,9:127.0.0.1,6:METHOD,3:GET,10:URL_SCHEME,4:http,7:PATTERN,5:/tnet,8:FRAGMENT,4:frag,5:QUERY,10:x=1&y=%20z,3:URI,20:/tnet/a/b?x=1&y=%20z,7:VERSION,8:HTTP/1.1,4:PATH,9:/tnet/a/b,4:host,15:localhost:18080,6:accept,3:*/*,15:x-forwarded-for,9:127.0.0.1,5:x-dup,12:3:one,3:two,]}0:,`},
		{"tnet binary POST", TNetstring, tnetPost, "aaaa-bbbb-tnet 4 /tnet/post 216:11:REMOTE_ADDR,9:127.0.0.1,6:METHOD,4:POST,10:URL_SCHEME,4:http,7:PATTERN,5:/tnet,3:URI,10:/tnet/post,7:VERSION,8:HTTP/1.0,4:PATH,10:/tnet/post,4:host,9:localhost,14:content-length,1:5,15:x-forwarded-for,9:127.0.0.1,}5:\x00\x01\x02ab,"},
	}
}

func TestEncodeCaptured(t *testing.T) {
	var e Encoder
	for _, tc := range capturedRequests() {
		t.Run(tc.name, func(t *testing.T) {
			got := e.Append([]byte("junk"), tc.proto, tc.req)
			if string(got) != "junk"+tc.wire {
				t.Errorf("got  %q\nwant %q", got[4:], tc.wire)
			}
		})
	}
}

// TestEncodeArrivalOrder encodes the captured requests with the client
// headers in the order the clients sent them (and a spoofed
// x-forwarded-for, which must vanish): the bytes differ from the capture
// only in key order, so the messages are equal as maps and equally long.
func TestEncodeArrivalOrder(t *testing.T) {
	var e Encoder
	caps := capturedRequests()
	for _, tc := range []struct {
		capture int
		headers []Header
	}{
		{0, hdrs("host", "localhost", "x-forwarded-for", "6.6.6.6", "user-agent", "t")},
		{1, hdrs("host", "localhost", "content-length", "11", "content-type", "application/x-www-form-urlencoded")},
		{4, hdrs("host", "localhost:18080", "x-dup", "one", "accept", "*/*", "x-forwarded-for", "6.6.6.6", "x-dup", "two")},
	} {
		c := caps[tc.capture]
		t.Run(c.name, func(t *testing.T) {
			r := *c.req
			r.Headers = tc.headers
			r.ForwardedFor = b("127.0.0.1")
			got := e.Append(nil, c.proto, &r)
			if len(got) != len(c.wire) {
				t.Errorf("length %d, want %d:\n%q", len(got), len(c.wire), got)
			}
			gm, err := ParseRequest(got)
			if err != nil {
				t.Fatalf("ParseRequest(%q): %v", got, err)
			}
			wm, err := ParseRequest([]byte(c.wire))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.EqualFunc(gm.Headers, wm.Headers, slices.Equal) {
				t.Errorf("headers %v\nwant    %v", gm.Headers, wm.Headers)
			}
		})
	}
}

// jsonHeaders encodes r with JSON headers and decodes them with
// encoding/json, failing if the object is not valid JSON.
func jsonHeaders(t *testing.T, r *Request) map[string]any {
	t.Helper()
	var e Encoder
	m, err := ParseRequest(e.Append(nil, JSON, r))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(m.RawHeaders, &got); err != nil {
		t.Fatalf("invalid JSON %q: %v", m.RawHeaders, err)
	}
	return got
}

func TestEncodeRepeatedHeaders(t *testing.T) {
	base := func(h []Header) *Request {
		return &Request{UUID: b("u"), ID: 1, Path: b("/"), Headers: h}
	}
	for _, tc := range []struct {
		name string
		req  *Request
		want map[string]any
	}{
		{"repeats become arrays in arrival order",
			base(hdrs("x-a", "1", "x-b", "b", "x-a", "2", "x-a", "3")),
			map[string]any{"PATH": "/", "x-a": []any{"1", "2", "3"}, "x-b": "b"}},
		{"sixth and later values dropped",
			base(hdrs("host", "1", "host", "2", "host", "3", "host", "4", "host", "5", "host", "6", "host", "7")),
			map[string]any{"PATH": "/", "host": []any{"1", "2", "3", "4", "5"}}},
		{"header names limited, later values of kept names still kept",
			func() *Request {
				r := base(hdrs("x-a", "1", "x-b", "2", "x-c", "3", "x-a", "4", "x-c", "5"))
				r.MaxHeaderNames = 2
				return r
			}(),
			map[string]any{"PATH": "/", "x-a": []any{"1", "4"}, "x-b": "2"}},
		{"client x-forwarded-for replaced",
			func() *Request {
				r := base(hdrs("x-forwarded-for", "1.1.1.1", "x-forwarded-for", "2.2.2.2"))
				r.ForwardedFor = b("127.0.0.1")
				return r
			}(),
			map[string]any{"PATH": "/", "x-forwarded-for": "127.0.0.1"}},
		{"client x-forwarded-for kept without ForwardedFor",
			base(hdrs("x-forwarded-for", "1.1.1.1", "x-forwarded-for", "2.2.2.2")),
			map[string]any{"PATH": "/", "x-forwarded-for": []any{"1.1.1.1", "2.2.2.2"}}},
		{"empty query and fragment present when flagged",
			func() *Request {
				r := base(nil)
				r.HasQuery, r.HasFragment = true, true
				return r
			}(),
			map[string]any{"PATH": "/", "QUERY": "", "FRAGMENT": ""}},
		{"extra keys",
			func() *Request {
				r := base(hdrs("host", "h"))
				r.Extra = hdrs("UPLOAD_STREAM", "0", "FLAGS", "0x81")
				return r
			}(),
			map[string]any{"PATH": "/", "host": "h", "UPLOAD_STREAM": "0", "FLAGS": "0x81"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jsonHeaders(t, tc.req)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestEncodeKeyOrder(t *testing.T) {
	r := &Request{
		UUID: b("u"), ID: 7, Path: b("/p"),
		Method: b("GET"), Version: b("HTTP/1.1"), URI: b("/p?q#f"),
		Query: b("q"), Fragment: b("f"), HasQuery: true, HasFragment: true,
		Pattern: b("/"), URLScheme: b("https"), RemoteAddr: b("::1"),
		Headers: hdrs("b", "1", "a", "2"), ForwardedFor: b("::1"),
		Extra: hdrs("FLAGS", "0x81"), Body: b("x"),
	}
	var e Encoder
	wantJSON := `u 7 /p 201:{"PATH":"/p","x-forwarded-for":"::1","b":"1","a":"2","FLAGS":"0x81","METHOD":"GET","VERSION":"HTTP/1.1","URI":"/p?q#f","QUERY":"q","FRAGMENT":"f","PATTERN":"/","URL_SCHEME":"https","REMOTE_ADDR":"::1"},1:x,`
	if got := e.Append(nil, JSON, r); string(got) != wantJSON {
		t.Errorf("JSON:\ngot  %q\nwant %q", got, wantJSON)
	}
	wantTNet := `u 7 /p 203:11:REMOTE_ADDR,3:::1,6:METHOD,3:GET,10:URL_SCHEME,5:https,7:PATTERN,1:/,8:FRAGMENT,1:f,5:QUERY,1:q,3:URI,6:/p?q#f,7:VERSION,8:HTTP/1.1,4:PATH,2:/p,1:b,1:1,1:a,1:2,15:x-forwarded-for,3:::1,5:FLAGS,4:0x81,}1:x,`
	if got := e.Append(nil, TNetstring, r); string(got) != wantTNet {
		t.Errorf("tnetstring:\ngot  %q\nwant %q", got, wantTNet)
	}
}

func TestJSONEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"a\tb", `"a\u0009b"`},
		{"\x00\x1f\x7f", `"\u0000\u001f\u007f"`},
		{"\xff\xfe", `"\u00ff\u00fe"`},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
		{"\xc3", `"\u00c3"`},                     // truncated sequence
		{"\xc3(", `"\u00c3("`},                   // bad continuation
		{"\xed\xa0\x80", `"\u00ed\u00a0\u0080"`}, // surrogate half
		{"\xc0\xaf", `"\u00c0\u00af"`},           // overlong
		{"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},     // U+FFFD itself is valid
		{"\u2028", "\"\u2028\""},                 // valid JSON as is
	} {
		got := appendJSONString(nil, []byte(tc.in))
		if string(got) != tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("appendJSONString(%q) = %s is not valid JSON", tc.in, got)
		}
		if utf8.ValidString(tc.in) {
			var s string
			if err := json.Unmarshal(got, &s); err != nil || s != tc.in {
				t.Errorf("decoding %s gave %q, %v; want %q", got, s, err, tc.in)
			}
		}
	}
}

// TestEncodeJSONAlwaysValid feeds every byte value through header names,
// values and the path.
func TestEncodeJSONAlwaysValid(t *testing.T) {
	var all, path []byte
	for c := range 256 {
		all = append(all, byte(c))
		if c != ' ' { // the message framing keeps spaces out of paths
			path = append(path, byte(c))
		}
	}
	r := &Request{
		UUID: b("u"), ID: 1, Path: path, Method: all, Pattern: b("/"),
		Headers: []Header{{Name: all, Value: all}, {Name: b("x"), Value: all}, {Name: b("x"), Value: b("\xe2\x82")}},
	}
	var e Encoder
	m, err := ParseRequest(e.Append(nil, JSON, r))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(m.RawHeaders) {
		t.Fatalf("invalid JSON: %q", m.RawHeaders)
	}
}

func TestEncodeManyHeaders(t *testing.T) {
	var h []Header
	for i := range 3000 {
		h = append(h, Header{Name: fmt.Appendf(nil, "x-%d", i%2000), Value: b("v")})
	}
	r := &Request{UUID: b("u"), ID: 1, Path: b("/"), Headers: h, MaxHeaderNames: 1280}
	var e Encoder
	m, err := ParseRequest(e.Append(nil, TNetstring, r))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Headers) - 1; n != 1280 { // minus PATH
		t.Errorf("%d header names kept, want 1280", n)
	}
	if got := m.Headers["x-5"]; len(got) != 2 {
		t.Errorf("x-5 = %q, want two values", got)
	}
	if _, ok := m.Headers["x-1280"]; ok {
		t.Error("x-1280 kept beyond the limit")
	}
}

func TestEncoderDoesNotAllocate(t *testing.T) {
	r := typicalGET()
	var e Encoder
	buf := make([]byte, 0, 2048)
	for _, p := range []Protocol{JSON, TNetstring} {
		e.Append(buf[:0], p, r) // warm the scratch space
		if n := testing.AllocsPerRun(100, func() { e.Append(buf[:0], p, r) }); n != 0 {
			t.Errorf("%v: %v allocs per Append, want 0", p, n)
		}
	}
}

func TestEncodeLongHeaderValue(t *testing.T) {
	// A header dict whose length prefix needs more than three digits.
	r := &Request{UUID: b("u"), ID: 1, Path: b("/"), Headers: hdrs("cookie", strings.Repeat("c", 5000))}
	var e Encoder
	for _, p := range []Protocol{JSON, TNetstring} {
		m, err := ParseRequest(e.Append(nil, p, r))
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if len(m.Header("cookie")) != 5000 {
			t.Errorf("%v: cookie has %d bytes", p, len(m.Header("cookie")))
		}
	}
}

func typicalGET() *Request {
	return &Request{
		UUID: b(testUUID), ID: 1234, Path: b("/app/items/42"),
		Method: b("GET"), Version: b("HTTP/1.1"), URI: b("/app/items/42?page=2"),
		Query: b("page=2"), HasQuery: true,
		Pattern: b("/app/"), URLScheme: b("http"), RemoteAddr: b("192.168.1.20"),
		Headers: hdrs(
			"host", "example.com",
			"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
			"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			"accept-language", "en-US,en;q=0.5",
			"accept-encoding", "gzip, deflate, br",
			"connection", "keep-alive",
			"cookie", "session=0123456789abcdef; theme=dark",
			"referer", "http://example.com/app/items",
		),
		ForwardedFor:   b("192.168.1.20"),
		MaxHeaderNames: 1280,
	}
}

func TestProtocolString(t *testing.T) {
	if JSON.String() != "json" || TNetstring.String() != "tnetstring" {
		t.Errorf("got %q %q", JSON, TNetstring)
	}
}

var _ = bytes.Equal

// TestPlain8 checks the word-at-a-time test against the byte test: every
// byte value at every position, then random words.
func TestPlain8(t *testing.T) {
	word := func(bs [8]byte) uint64 { return binary.LittleEndian.Uint64(bs[:]) }
	want := func(bs [8]byte) bool {
		for _, c := range bs {
			if !plain(c) {
				return false
			}
		}
		return true
	}
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', 0x20, 0x7e, 0x21, 0x5d, 0x23} {
				var bs [8]byte
				for i := range bs {
					bs[i] = fill
				}
				bs[pos] = byte(c)
				if got := plain8(word(bs)); got != want(bs) {
					t.Fatalf("plain8(%q) = %v, want %v", bs, got, want(bs))
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var bs [8]byte
		for i := range bs {
			switch r.IntN(4) {
			case 0:
				bs[i] = byte(r.UintN(256))
			default:
				bs[i] = byte(0x1e + r.UintN(0x64)) // around the printable range
			}
		}
		if got := plain8(word(bs)); got != want(bs) {
			t.Fatalf("plain8(%q) = %v, want %v", bs, got, want(bs))
		}
	}
}
