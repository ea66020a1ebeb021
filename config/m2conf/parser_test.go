package m2conf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The minimal example of spec §8.3, verified to load with m2sh 1.12.2.
const specExample = `main = Server(
    uuid="f400bf85-4538-4f7a-8908-000000000001",
    access_log="logs/access.log", error_log="logs/error.log",
    pid_file="run/mongrel2.pid", default_host="localhost", name="main",
    port=18080, bind_addr="127.0.0.1",
    hosts = [ Host(name="localhost", routes={
        '/': Dir(base='static/', index_file='index.html', default_ctype='text/plain'),
        '/handler': Handler(send_spec='tcp://127.0.0.1:19997',
                            send_ident='34f9ceee-cd52-4b7f-b197-88bf2f0ec378',
                            recv_spec='tcp://127.0.0.1:19996', recv_ident='')
    }) ]
)
settings = {"server.daemonize": 0, "upload.temp_store": "/tmp/up.XXXXXX"}
servers = [main]
`

func TestParseSpecExample(t *testing.T) {
	f, err := Parse("m.conf", []byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Vars); got != 3 {
		t.Fatalf("got %d variables, want 3", got)
	}
	main, ok := f.Lookup("main").Value.(*Class)
	if !ok || main.Name != "Server" {
		t.Fatalf("main = %#v, want a Server class", f.Lookup("main").Value)
	}
	if got := main.Arg("port").Value.(*Number).Text; got != "18080" {
		t.Errorf("port = %q, want 18080", got)
	}
	hosts := main.Arg("hosts").Value.(*List)
	host := hosts.Elems[0].(*Class)
	routes := host.Arg("routes").Value.(*Dict)
	var keys []string
	for _, it := range routes.Entries() {
		keys = append(keys, it.Key+"="+it.Value.(*Class).Name)
	}
	if want := []string{"/=Dir", "/handler=Handler"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("routes = %v, want %v", keys, want)
	}
	servers := f.Lookup("servers").Value.(*List)
	ref := servers.Elems[0].(*Ref)
	if ref.Target != main || Deref(ref) != main {
		t.Errorf("servers[0] does not resolve to main")
	}
	if got := (Pos{Line: 14, Col: 12}); servers.Elems[0].Pos() != got {
		t.Errorf("servers[0] at %v, want %v", servers.Elems[0].Pos(), got)
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want any // expected value of variable x, in the shape of dump
	}{
		{"double quoted", `x = "a b"`, "a b"},
		{"single quoted", `x = 'a b'`, "a b"},
		{"escaped quote kept verbatim", `x = '/esc\'q'`, `/esc\'q`},
		{"double backslash kept verbatim", `x = "a\\b"`, `a\\b`},
		{"pattern backslashes", `x = '/pat/(\d+)'`, `/pat/(\d+)`},
		{"newline inside string", "x = 'a\nb'", "a\nb"},
		{"number text kept", `x = 007`, "#007"},
		{"empty list", `x = []`, []any{}},
		{"list without commas", `x = [1 2 "three"]`, []any{"#1", "#2", "three"}},
		{"list with leading comma", `x = [, 1, 2]`, []any{"#1", "#2"}},
		{"nested", `x = [[1], {"k": [2]}]`, []any{[]any{"#1"}, map[string]any{"k": []any{"#2"}}}},
		{"empty dict", `x = {}`, map[string]any{}},
		{"dict without commas", `x = {"a": 1 "b": 2}`, map[string]any{"a": "#1", "b": "#2"}},
		{"dict with leading comma", `x = {, 'a': 1}`, map[string]any{"a": "#1"}},
		{"duplicate dict key: later wins", `x = {"a": 1, "a": 2}`, map[string]any{"a": "#2"}},
		{"class", `x = Dir(base='b/', index_file='i')`, "Dir(base=b/ index_file=i)"},
		{"class with leading comma", `x = Dir(, base='b/')`, "Dir(base=b/)"},
		{"empty class", `x = Proxy()`, "Proxy()"},
		{"forward reference", "x = y\ny = 'later'", "later"},
		{"reference chain", "x = y\ny = z\nz = 5", "#5"},
		{"comment at end without newline", "x = 1 # done", "#1"},
		{"identifier with digits", "x = Main2\nMain2 = 1", "#1"},
		{"single capital is an identifier", "x = A\nA = 1", "#1"},
		{"underscore identifier", "x = _Ab\n_Ab = 1", "#1"},
		{"all whitespace kinds", "x\t=\r\n\v\f[1]", []any{"#1"}},
		{"later top-level assignment wins", "x = 1\nx = 2", "#2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("t.conf", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			got := dump(f.Lookup("x").Value)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// dump turns a value into plain Go data: strings, "#digits" for numbers,
// []any, map[string]any, and "Name(arg=value ...)" for classes with
// scalar arguments.
func dump(v Value) any {
	switch v := Deref(v).(type) {
	case *String:
		return v.Value
	case *Number:
		return "#" + v.Text
	case *List:
		out := []any{}
		for _, e := range v.Elems {
			out = append(out, dump(e))
		}
		return out
	case *Dict:
		out := map[string]any{}
		for _, it := range v.Entries() {
			out[it.Key] = dump(it.Value)
		}
		return out
	case *Class:
		var args []string
		for _, a := range v.Args {
			args = append(args, a.Name+"="+dump(a.Value).(string))
		}
		return v.Name + "(" + strings.Join(args, " ") + ")"
	}
	return nil
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", []string{"e.conf:1:1: syntax error: the file has no assignments"}},
		{"only a comment", "# nothing\n", []string{"e.conf:2:1: syntax error: the file has no assignments"}},
		{"capitalised variable", "Main = Server()",
			[]string{"e.conf:1:1: syntax error: Main cannot be used as a name: an upper-case letter followed only by letters is a class name"}},
		{"lower-case class", "x = dir(base='a/')",
			[]string{"e.conf:1:5: syntax error: dir is not a class name: class names are an upper-case letter followed only by letters"}},
		{"trailing comma in list", "x = [1, 2,]", []string{"e.conf:1:10: syntax error: trailing comma in list"}},
		{"trailing comma in dict", "x = {'a': 1,\n}", []string{"e.conf:1:12: syntax error: trailing comma in dict"}},
		{"trailing comma in class", "x = Dir(base='a/',)", []string{"e.conf:1:18: syntax error: trailing comma in Dir(...)"}},
		{"lone comma", "x = [,]", []string{"e.conf:1:6: syntax error: trailing comma in list"}},
		{"double comma", "x = [1,,2]", []string{"e.conf:1:8: syntax error: two commas in a row in list"}},
		{"unquoted dict key", "x = {a: 1}", []string{"e.conf:1:6: syntax error: expected a quoted string key or '}', found identifier a"}},
		{"number key", "x = {1: 1}", []string{"e.conf:1:6: syntax error: expected a quoted string key or '}', found number 1"}},
		{"missing colon", "x = {'a' 1}", []string{`e.conf:1:10: syntax error: expected ':' after dict key, found number 1`}},
		{"missing equals", "x 1", []string{"e.conf:1:3: syntax error: expected '=' after x, found number 1"}},
		{"number glued to identifier", "x = {'a': 12abc}", []string{"e.conf:1:13: syntax error: expected a quoted string key or '}', found identifier abc"}},
		{"value missing", "x = ", []string{"e.conf:1:5: syntax error: expected a value, found end of file"}},
		{"unclosed list", "x = [1", []string{"e.conf:1:7: syntax error: expected a value or ']', found end of file"}},
		{"unclosed class", "x = Dir(a=1", []string{"e.conf:1:12: syntax error: expected an argument name or ')', found end of file"}},
		{"positional class argument", "x = Dir('a/')", []string{`e.conf:1:9: syntax error: expected an argument name or ')', found string "a/"`}},
		{"bare value at top level", "x = 1\n'a'", []string{`e.conf:2:1: syntax error: expected a variable name, found string "a"`}},
		{"invalid characters all reported", "x = `a`\ny = -1",
			[]string{"e.conf:1:5: invalid character '`'", "e.conf:1:7: invalid character '`'", "e.conf:2:5: invalid character '-'"}},
		{"non-ASCII byte", "x = \xc3\xa9", []string{"e.conf:1:5: invalid character 0xc3", "e.conf:1:6: invalid character 0xa9"}},
		{"unterminated string", "x = 'abc\n", []string{"e.conf:1:5: unterminated string"}},
		{"backslash before end of file", `x = 'abc\`, []string{"e.conf:1:5: unterminated string"}},
		{"undefined variables all reported", "x = [a, Dir(base=b)]\ny = {'k': c}",
			[]string{"e.conf:1:6: undefined variable a", "e.conf:1:18: undefined variable b", "e.conf:2:11: undefined variable c"}},
		{"undefined at the end of a chain", "x = y\ny = z", []string{"e.conf:1:5: undefined variable z (reached through y -> z)", "e.conf:2:5: undefined variable z"}},
		{"reference cycle", "x = y\ny = x", []string{"e.conf:1:5: reference cycle: y -> x -> y", "e.conf:2:5: reference cycle: x -> y -> x"}},
		{"self reference", "x = x", []string{"e.conf:1:5: reference cycle: x -> x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("e.conf", []byte(tc.src))
			if err == nil {
				t.Fatalf("parsed %#v, want errors", f)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	src := "x = " + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	_, err := Parse("deep.conf", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Fatalf("got %v, want a nesting error", err)
	}
	ok := "x = " + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if _, err := Parse("deep.conf", []byte(ok)); err != nil {
		t.Fatalf("nesting of exactly %d: %v", maxDepth, err)
	}
}

func TestClassArgLaterWins(t *testing.T) {
	f, err := Parse("t.conf", []byte("x = Dir(base='x/', base='y/')"))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Lookup("x").Value.(*Class)
	if got := c.Arg("base").Value.(*String).Value; got != "y/" {
		t.Errorf("base = %q, want y/", got)
	}
	if c.Arg("missing") != nil {
		t.Error("Arg of a missing name is not nil")
	}
}

func TestSharedReferencesDerefToOneValue(t *testing.T) {
	src := "d = Dir(base='a/')\nr = {'/a': d, '/b': d, '/c': Dir(base='a/')}"
	f, err := Parse("t.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	items := f.Lookup("r").Value.(*Dict).Items
	a, b, c := Deref(items[0].Value), Deref(items[1].Value), Deref(items[2].Value)
	if a != b {
		t.Error("two references to d deref to different values")
	}
	if a == c {
		t.Error("an inline Dir derefs to the shared one")
	}
}

func TestNumberInt(t *testing.T) {
	tests := []struct {
		text    string
		want    int64
		wantErr bool
	}{
		{"0", 0, false},
		{"007", 7, false},
		{"9223372036854775807", 9223372036854775807, false},
		{"9223372036854775808", 0, true},
	}
	for _, tc := range tests {
		got, err := (&Number{Text: tc.text}).Int()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Int(%s) = %d, %v; want %d, error %v", tc.text, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseSampleConfigs(t *testing.T) {
	paths, err := filepath.Glob("../testdata/*.conf")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample configs: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(path, src)
			if err != nil {
				t.Fatal(err)
			}
			if f.Lookup("servers") == nil {
				t.Error("no servers variable")
			}
		})
	}
}
