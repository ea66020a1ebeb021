package tnetstring

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Captured bytes from the control port (spec §11.1, §11.2) and the access
// log (§10.3). The info reply had its uuid elided in the capture; it is
// filled in with the server uuid the uuid reply shows, which the length
// prefixes confirm. The ctl credits list is the extended handler reply body
// captured in §2.5. The last three entries are not captures: an empty
// status table, a control request and one of each scalar.
var captured = []struct {
	name string
	wire string
	want Value
}{
	{"invalid request", "101:4:code,15:INVALID_REQUEST,5:error,63:Invalid request format, must be a list with two elements in it.,}",
		errReply("INVALID_REQUEST", "Invalid request format, must be a list with two elements in it.")},
	{"invalid data", "97:4:code,12:INVALID_DATA,5:error,62:Invalid data, expecting a list with a string and a hash in it.,}",
		errReply("INVALID_DATA", "Invalid data, expecting a list with a string and a hash in it.")},
	{"callback return", "91:4:code,15:CALLBACK_RETURN,5:error,53:Callback failed and returned NULL, should not happen.,}",
		errReply("CALLBACK_RETURN", "Callback failed and returned NULL, should not happen.")},
	{"callback not found", "74:4:code,18:CALLBACK_NOT_FOUND,5:error,33:Callback requested was not found.,}",
		errReply("CALLBACK_NOT_FOUND", "Callback requested was not found.")},
	{"signal failed", "75:4:code,13:SIGNAL_FAILED,5:error,39:raise call failed, can't signal process,}",
		errReply("SIGNAL_FAILED", "raise call failed, can't signal process")},
	{"invalid argument", "61:4:code,16:INVALID_ARGUMENT,5:error,22:Invalid argument type.,}",
		errReply("INVALID_ARGUMENT", "Invalid argument type.")},
	{"not connected", "57:4:code,13:NOT_CONNECTED,5:error,21:Socket not connected.,}",
		errReply("NOT_CONNECTED", "Socket not connected.")},
	{"stop", "59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}",
		table([]string{"msg"}, List(String("signal sent to server")))},
	{"time", "49:7:headers,7:4:time,]4:rows,18:14:10:1795790297,]]}",
		table([]string{"time"}, List(String("1795790297")))},
	{"uuid", "75:7:headers,7:4:uuid,]4:rows,44:40:36:f400bf85-4538-4f7a-8908-000000000001,]]}",
		table([]string{"uuid"}, List(String("f400bf85-4538-4f7a-8908-000000000001")))},
	{"kill", "40:7:headers,9:6:status,]4:rows,8:5:2:OK,]]}",
		table([]string{"status"}, List(String("OK")))},
	{"status bad what", "51:5:error,39:Expected argument what=['net'|'tasks'].,}",
		Dict(KV("error", String("Expected argument what=['net'|'tasks'].")))},
	{"info", "255:7:headers,92:4:port,9:bind_addr,4:uuid,6:chroot,10:access_log,9:error_log,8:pid_file,16:default_hostname,]4:rows,137:132:5:18080#9:127.0.0.1,36:f400bf85-4538-4f7a-8908-000000000001,0:,15:logs/access.log,14:logs/error.log,16:run/mongrel2.pid,9:localhost,]]}",
		table([]string{"port", "bind_addr", "uuid", "chroot", "access_log", "error_log", "pid_file", "default_hostname"},
			List(Int(18080), String("127.0.0.1"), String("f400bf85-4538-4f7a-8908-000000000001"), String(""),
				String("logs/access.log"), String("logs/error.log"), String("run/mongrel2.pid"), String("localhost")))},
	{"empty status table", "110:7:headers,86:2:id,2:fd,4:type,9:last_ping,9:last_read,10:last_write,10:bytes_read,13:bytes_written,]4:rows,0:]}",
		Dict(KV("headers", strs("id", "fd", "type", "last_ping", "last_read", "last_write", "bytes_read", "bytes_written")), KV("rows", List()))},
	{"control request", "26:6:status,13:4:what,3:net,}]",
		List(String("status"), Dict(KV("what", String("net"))))},
	{"access log GET", "86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]",
		accessLine("localhost", "127.0.0.1", 55090, 1795790306, "GET", "/data.txt", "HTTP/1.1", 200, 10)},
	{"access log POST", "88:9:localhost,9:127.0.0.1,5:55098#10:1795790307#4:POST,10:/handler/p,8:HTTP/1.1,3:200#1:3#]",
		accessLine("localhost", "127.0.0.1", 55098, 1795790307, "POST", "/handler/p", "HTTP/1.1", 200, 3)},
	{"access log redirect", "78:9:localhost,9:127.0.0.1,5:55104#10:1795790307#3:GET,4:/sub,8:HTTP/1.1,1:0#1:0#]",
		accessLine("localhost", "127.0.0.1", 55104, 1795790307, "GET", "/sub", "HTTP/1.1", 0, 0)},
	{"ctl credits", "27:3:ctl,17:7:credits,4:4096#}]",
		List(String("ctl"), Dict(KV("credits", Int(4096))))},
	{"scalars", "43:0:~4:true!5:false!3:-12#4:1.25^6:-2e-07^0:,]",
		List(Null(), Bool(true), Bool(false), Int(-12), Float(1.25), Float(-2e-07), String(""))},
}

func errReply(code, msg string) Value {
	return Dict(KV("code", String(code)), KV("error", String(msg)))
}

func strs(ss ...string) Value {
	v := List()
	for _, s := range ss {
		v.List = append(v.List, String(s))
	}
	return v
}

func table(headers []string, rows ...Value) Value {
	return Dict(KV("headers", strs(headers...)), KV("rows", List(rows...)))
}

func accessLine(host, addr string, port, t int64, method, path, version string, status, size int64) Value {
	return List(String(host), String(addr), Int(port), Int(t), String(method), String(path), String(version), Int(status), Int(size))
}

func TestParseCaptured(t *testing.T) {
	for _, tc := range captured {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := Parse([]byte(tc.wire + "tail"))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if string(rest) != "tail" {
				t.Errorf("rest = %q, want %q", rest, "tail")
			}
			if !got.Equal(tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestAppendCaptured(t *testing.T) {
	for _, tc := range captured {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.want.Append(nil); string(got) != tc.wire {
				t.Errorf("got  %q\nwant %q", got, tc.wire)
			}
		})
	}
}

// TestAppendAccessLine writes an access-log line with the allocation-free
// appenders, the way the logger does.
func TestAppendAccessLine(t *testing.T) {
	buf := make([]byte, 0, 256)
	var got []byte
	allocs := testing.AllocsPerRun(100, func() {
		dst, mark := BeginContainer(buf[:0])
		dst = AppendString(dst, "localhost")
		dst = AppendString(dst, []byte("127.0.0.1"))
		dst = AppendInt(dst, 55090)
		dst = AppendInt(dst, 1795790306)
		dst = AppendString(dst, "GET")
		dst = AppendString(dst, "/data.txt")
		dst = AppendString(dst, "HTTP/1.1")
		dst = AppendInt(dst, 200)
		dst = AppendInt(dst, 10)
		got = append(EndContainer(dst, mark, TypeList), '\n')
	})
	want := "86:9:localhost,9:127.0.0.1,5:55090#10:1795790306#3:GET,9:/data.txt,8:HTTP/1.1,3:200#2:10#]\n"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}

func TestEndContainerLengths(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456} {
		for _, prefix := range []string{"", "xy"} {
			payload := bytes.Repeat([]byte{'a'}, n)
			dst, mark := BeginContainer([]byte(prefix))
			dst = append(dst, payload...)
			dst = EndContainer(dst, mark, TypeString)
			want := prefix + string(AppendString(nil, payload))
			if string(dst) != want {
				t.Errorf("n=%d prefix=%q: got %.20q… (len %d), want %.20q… (len %d)", n, prefix, dst, len(dst), want, len(want))
			}
		}
	}
}

func TestNestedContainers(t *testing.T) {
	// Nested Begin/End pairs where the inner one shifts its payload.
	dst, outer := BeginContainer(nil)
	dst = AppendString(dst, "k")
	dst, in := BeginContainer(dst)
	for range 5 {
		dst = AppendInt(dst, 1)
	}
	dst = EndContainer(dst, in, TypeList)
	dst = EndContainer(dst, outer, TypeDict)
	want := "28:1:k,20:1:1#1:1#1:1#1:1#1:1#]}"
	if string(dst) != want {
		t.Errorf("got %q, want %q", dst, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrShort},
		{"digits only", "12", ErrShort},
		{"no payload", "5:", ErrShort},
		{"payload short", "5:abc", ErrShort},
		{"missing tag", "3:abc", ErrShort},
		{"colon first", ":abc,", ErrLength},
		{"letter in length", "1a:x,", ErrLength},
		{"sign", "-1:x,", ErrLength},
		{"space", " 1:x,", ErrLength},
		{"ten digits", "0000000001:x,", ErrLength},
		{"huge length", "99999999999:", ErrLength},
		{"unknown tag", "1:x?", ErrTag},
		{"int empty", "0:#", ErrPayload},
		{"int plus", "2:+1#", ErrPayload},
		{"int minus only", "1:-#", ErrPayload},
		{"int space", "2:1 #", ErrPayload},
		{"int overflow", "19:9223372036854775808#", ErrPayload},
		{"int underflow", "20:-9223372036854775809#", ErrPayload},
		{"float nan", "3:nan^", ErrPayload},
		{"float inf", "3:inf^", ErrPayload},
		{"float hex", "6:0x1p-2^", ErrPayload},
		{"float underscore", "3:1_0^", ErrPayload},
		{"float dot end", "2:1.^", ErrPayload},
		{"float dot start", "2:.5^", ErrPayload},
		{"float range", "5:1e999^", ErrPayload},
		{"bool True", "4:True!", ErrPayload},
		{"bool tXXX", "4:tXXX!", ErrPayload},
		{"null payload", "1:x~", ErrPayload},
		{"list element overruns", "4:5:ab]", ErrPayload},
		{"list element bad tag", "4:1:a?]", ErrTag},
		{"dict int key", "8:1:1#1:a,}", ErrKey},
		{"dict key without value", "4:1:a,}", ErrKey},
		{"dict value truncated", "6:1:a,1:}", ErrPayload},
		{"nested bad int", "6:3:1x1#]", ErrPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse(%q) error = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseDepth(t *testing.T) {
	nest := func(n int) []byte {
		v := Null()
		for range n {
			v = List(v)
		}
		return v.Append(nil)
	}
	if _, _, err := Parse(nest(MaxDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if _, _, err := Parse(nest(MaxDepth + 1)); !errors.Is(err, ErrDepth) {
		t.Errorf("depth %d: error = %v, want ErrDepth", MaxDepth+1, err)
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Value
	}{
		{"03:abc,", String("abc")},
		{"1:0#", Int(0)},
		{"2:-0#", Int(0)},
		{"3:007#", Int(7)},
		{"19:9223372036854775807#", Int(math.MaxInt64)},
		{"20:-9223372036854775808#", Int(math.MinInt64)},
		{"1:5^", Float(5)},
		{"7:-1.5E+3^", Float(-1500)},
		{"0:]", List()},
		{"0:}", Dict()},
		{"16:1:a,1:1#1:a,1:2#}", Dict(KV("a", Int(1)), KV("a", Int(2)))},
		{"4:a\x00\xff:,", Bytes([]byte("a\x00\xff:"))},
	} {
		got, rest, err := Parse([]byte(tc.in))
		if err != nil || len(rest) != 0 || !got.Equal(tc.want) {
			t.Errorf("Parse(%q) = %+v, %q, %v; want %+v", tc.in, got, rest, err, tc.want)
		}
	}
}

// TestParseStrictPrefixes checks that every strict prefix of a valid
// value is reported as ErrShort, so a stream reader waits for more bytes.
func TestParseStrictPrefixes(t *testing.T) {
	for _, tc := range captured {
		for i := range len(tc.wire) {
			if _, _, err := Parse([]byte(tc.wire[:i])); err != ErrShort {
				t.Fatalf("%s: prefix %q: error = %v, want ErrShort", tc.name, tc.wire[:i], err)
			}
		}
	}
}

func TestParseAliasesInput(t *testing.T) {
	in := []byte("5:hello,")
	v, _, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	in[2] = 'j'
	if string(v.Str) != "jello" {
		t.Errorf("Str = %q, want it to alias the input", v.Str)
	}
	if cap(v.Str) != len(v.Str) {
		t.Errorf("cap(Str) = %d, want %d so appends cannot overwrite the input", cap(v.Str), len(v.Str))
	}
}

func TestSplit(t *testing.T) {
	typ, payload, rest, err := Split([]byte("12:1:a,1:b,1:c,]7:x"))
	if err != nil || typ != TypeList || string(payload) != "1:a,1:b,1:c," || string(rest) != "7:x" {
		t.Errorf("Split = %q %q %q %v", typ, payload, rest, err)
	}
	// Split does not look inside payloads.
	if _, _, _, err := Split([]byte("3:abc#")); err != nil {
		t.Errorf("Split of a bad int payload: %v, want nil", err)
	}
}

func TestGet(t *testing.T) {
	v := Dict(KV("a", Int(1)), KV("b", String("x")), KV("a", Int(2)))
	if got, ok := v.Get("a"); !ok || got.Int != 1 {
		t.Errorf("Get(a) = %+v, %v; want first value 1", got, ok)
	}
	if _, ok := v.Get("c"); ok {
		t.Error("Get(c) found a missing key")
	}
	if _, ok := List(String("a")).Get("a"); ok {
		t.Error("Get on a list found a key")
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b Value
		want bool
	}{
		{Value{}, Null(), true},
		{Value{Type: 'x'}, Null(), true},
		{String("a"), Bytes([]byte("a")), true},
		{String("a"), String("b"), false},
		{Int(1), Float(1), false},
		{List(Int(1)), List(Int(1), Int(2)), false},
		{Dict(KV("a", Null())), Dict(KV("b", Null())), false},
		{Dict(KV("a", Null()), KV("b", Null())), Dict(KV("b", Null()), KV("a", Null())), false},
	} {
		if got := tc.a.Equal(tc.b); got != tc.want {
			t.Errorf("%+v.Equal(%+v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAppendScalars(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{String("hello"), "5:hello,"},
		{String(""), "0:,"},
		{Int(0), "1:0#"},
		{Int(math.MinInt64), "20:-9223372036854775808#"},
		{Float(0.1), "3:0.1^"},
		{Float(1e21), "5:1e+21^"},
		{Float(-100), "4:-100^"},
		{Bool(true), "4:true!"},
		{Bool(false), "5:false!"},
		{Null(), "0:~"},
		{Value{}, "0:~"},
	} {
		if got := tc.v.Append(nil); string(got) != tc.want {
			t.Errorf("Append(%+v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// randomValue builds a value tree of bounded size for the round trip.
func randomValue(r *rand.Rand, depth int) Value {
	k := r.IntN(7)
	if depth > 4 {
		k = r.IntN(5)
	}
	randBytes := func() []byte {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return b
	}
	switch k {
	case 0:
		return Bytes(randBytes())
	case 1:
		return Int(int64(r.Uint64()))
	case 2:
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = r.NormFloat64()
		}
		return Float(f)
	case 3:
		return Bool(r.IntN(2) == 0)
	case 4:
		return Null()
	case 5:
		v := List()
		for range r.IntN(6) {
			v.List = append(v.List, randomValue(r, depth+1))
		}
		return v
	default:
		v := Dict()
		for range r.IntN(6) {
			v.Dict = append(v.Dict, Pair{Key: randBytes(), Value: randomValue(r, depth+1)})
		}
		return v
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		v := randomValue(r, 0)
		wire := v.Append(nil)
		got, rest, err := Parse(wire)
		if err != nil {
			t.Fatalf("#%d: Parse(%q): %v", i, wire, err)
		}
		if len(rest) != 0 || !got.Equal(v) {
			t.Fatalf("#%d: round trip of %q gave %+v, rest %q", i, wire, got, rest)
		}
	}
}

func TestAppendersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 4096)
	payload := bytes.Repeat([]byte("x"), 2000)
	allocs := testing.AllocsPerRun(100, func() {
		dst, m := BeginContainer(buf[:0])
		dst = AppendString(dst, payload) // forces a shift: 4-digit length
		dst = AppendInt(dst, -42)
		dst = AppendFloat(dst, 3.5)
		dst = AppendBool(dst, true)
		dst = AppendNull(dst)
		_ = EndContainer(dst, m, TypeList)
	})
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}
