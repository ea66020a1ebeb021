package control

import (
	"bytes"
	"errors"
	"testing"

	tns "github.com/bareku/bareku/protocol/tnetstring"
)

// The requests are what m2sh 1.12.2 sent for each line (captured on a
// REP socket; dict order there is m2sh's hash order, here the line's).
func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want string // AppendRequest output, or the error text
	}{
		{"status what=net", "26:6:status,13:4:what,3:net,}]"},
		{"  trimmed   ", "13:7:trimmed,0:}]"},
		{"kill id=a1", "21:4:kill,10:2:id,2:a1,}]"},
		{"kill id=-7", "21:4:kill,10:2:id,2:-7#}]"},
		{"kill id=007", "19:4:kill,9:2:id,1:7#}]"},
		{"x a=1 a=2", "24:1:x,16:1:a,1:1#1:a,1:2#}]"},
		{"x a= ", "14:1:x,7:1:a,0:,}]"},
		{"x =", "13:1:x,6:0:,0:,}]"},
		{"x a=1=b=2", "24:1:x,16:1:a,1:1#1:b,1:2#}]"},
		{"x\ta", ErrUsage.Error()},
		{"status  what=net", ErrUsage.Error()},
		{"kill id=12abc", ErrInteger.Error()},
		{"kill id=-", ErrInteger.Error()},
		{"kill id=1-2", ErrInteger.Error()},
		{"kill id=--5", ErrInteger.Error()},
		{"kill id=99999999999999999999", ErrIntegerRange.Error()},
		{"kill id=+5", "21:4:kill,10:2:id,2:+5,}]"},
	}
	for _, tc := range tests {
		cmd, args, err := ParseLine(tc.line)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = string(AppendRequest(nil, cmd, args))
		}
		if got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.line, got, tc.want)
		}
	}
}

// The replies are the server's bytes (spec §11.2) and the outputs what
// m2sh 1.12.2 printed for them.
func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string
		err   error
	}{
		{"error", "74:4:code,18:CALLBACK_NOT_FOUND,5:error,33:Callback requested was not found.,}",
			"ERROR: Callback requested was not found.\n", nil},
		{"error without code", "51:5:error,39:Expected argument what=['net'|'tasks'].,}",
			"ERROR: Expected argument what=['net'|'tasks'].\n", nil},
		{"one row", "49:7:headers,7:4:time,]4:rows,18:14:10:1795790297,]]}", "time:  1795790297\n", nil},
		{"one row, several columns", enc(tns.Dict(
			tns.KV("headers", strs("port", "chroot")),
			tns.KV("rows", tns.List(tns.List(tns.Int(18080), tns.String("x\x00y")))))),
			"port:  18080\nchroot:  x\n", nil},
		{"no rows", enc(tns.Dict(tns.KV("headers", strs("id", "fd", "type")), tns.KV("rows", tns.List()))),
			"id  fd  type  \n\n", nil},
		{"rows", enc(tns.Dict(
			tns.KV("headers", strs("id", "system", "name", "state")),
			tns.KV("rows", tns.List(
				tns.List(tns.Int(1), tns.Bool(false), tns.String("SERVER"), tns.String("-1")),
				tns.List(tns.Int(2), tns.Bool(true), tns.Null(), tns.String("x")))))),
			"id  system  name  state  \n1  false  SERVER  -1  \n2  true  (null)  x  \n\n", nil},
		{"ragged rows", enc(tns.Dict(
			tns.KV("headers", strs("a", "b")),
			tns.KV("rows", tns.List(
				tns.List(tns.Int(1), tns.Int(2)),
				tns.List(tns.Int(3)),
				tns.Dict(),
				tns.List(tns.Float(1.5), tns.List(), tns.Int(9)))))),
			"a  b  \n1  2  \n3  NA  \nNA  NA  \n1.500000  NA  \n\n", nil},
		{"not a dict", "5:hello,", "", ErrNotDict},
		{"garbage", "garbage", "", ErrNotDict},
		{"empty dict", "0:}", "", ErrNoHeaders},
		{"headers not a list", enc(tns.Dict(tns.KV("headers", tns.String("x")))), "", ErrHeadersType},
		{"no rows key", enc(tns.Dict(tns.KV("headers", strs()))), "", ErrNoRows},
		{"rows not a list", enc(tns.Dict(tns.KV("headers", strs()), tns.KV("rows", tns.String("x")))), "", ErrRowsType},
		{"one row of the wrong width", enc(tns.Dict(tns.KV("headers", strs("a", "b")), tns.KV("rows", tns.List(tns.List(tns.Int(1)))))),
			"", ErrColumnCount},
		{"one row not a list", enc(tns.Dict(tns.KV("headers", strs("a")), tns.KV("rows", tns.List(tns.String("x"))))),
			"", ErrNotTable},
		{"header not a string", enc(tns.Dict(tns.KV("headers", tns.List(tns.Int(1))), tns.KV("rows", tns.List(tns.List(tns.Int(1)))))),
			"", ErrHeaderNotText},
		{"header not a string, partial table", enc(tns.Dict(tns.KV("headers", tns.List(tns.String("a"), tns.List())), tns.KV("rows", tns.List()))),
			"a  ", errors.New("Headers should be strings, not: ]")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Render(&b, []byte(tc.reply))
			if b.String() != tc.want || (err == nil) != (tc.err == nil) || err != nil && err.Error() != tc.err.Error() {
				t.Errorf("got %q, %v; want %q, %v", b.String(), err, tc.want, tc.err)
			}
		})
	}
}

func TestRequestParses(t *testing.T) {
	cmd, args, err := ParseLine("status what=net id=5")
	if err != nil {
		t.Fatal(err)
	}
	v, rest, err := tns.Parse(AppendRequest(nil, cmd, args))
	if err != nil || len(rest) != 0 || len(v.List) != 2 || string(v.List[0].Str) != "status" {
		t.Fatalf("got %+v, %q, %v", v, rest, err)
	}
	if id, _ := v.List[1].Get("id"); id.Type != tns.TypeInt || id.Int != 5 {
		t.Errorf("id = %+v", id)
	}
}

func enc(v tns.Value) string { return string(v.Append(nil)) }

func strs(ss ...string) tns.Value {
	vs := make([]tns.Value, len(ss))
	for i, s := range ss {
		vs[i] = tns.String(s)
	}
	return tns.List(vs...)
}
