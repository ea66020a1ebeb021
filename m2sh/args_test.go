package m2sh

import (
	"reflect"
	"testing"
)

// Each case was run through m2sh 1.12.2; the expectation is what it made
// of the arguments (which option values it used, how many stray arguments
// it complained about).
func TestParseInvocation(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		cmd     string
		options map[string]string
		extra   int
	}{
		{"one dash", []string{"servers", "-db", "multi.sqlite"}, "servers", map[string]string{"db": "multi.sqlite"}, 0},
		{"two dashes", []string{"servers", "--db", "multi.sqlite"}, "servers", map[string]string{"db": "multi.sqlite"}, 0},
		{"positional argument", []string{"servers", "bar"}, "servers", map[string]string{}, 1},
		{"option=value is one stray blob", []string{"servers", "-db=multi.sqlite"}, "servers", map[string]string{}, 1},
		{"three dashes", []string{"servers", "---db", "multi.sqlite"}, "servers", map[string]string{}, 2},
		{"dash inside a name makes a blob", []string{"servers", "-x-y", "multi.sqlite"}, "servers", map[string]string{}, 2},
		{"blob then option", []string{"servers", "-x-y", "-db", "v"}, "servers", map[string]string{"db": "v"}, 1},
		{"flag before an option", []string{"load", "-x", "-db", "d"}, "load", map[string]string{"x": "", "db": "d"}, 0},
		{"trailing flag", []string{"servers", "--db"}, "servers", map[string]string{"db": ""}, 0},
		{"last repeat wins", []string{"servers", "-db", "a", "-db", "b"}, "servers", map[string]string{"db": "b"}, 0},
		{"repeat as flag wins", []string{"servers", "-db", "a", "-db"}, "servers", map[string]string{"db": ""}, 0},
		{"value with a space is quoted back", []string{"servers", "-db", "a b"}, "servers", map[string]string{"db": "a b"}, 0},
		{"quotes span arguments", []string{"servers", "-db", `"multi`, `x"`}, "servers", map[string]string{"db": "multi x"}, 0},
		{"single quotes stripped", []string{"servers", "-db", "'multi.sqlite'"}, "servers", map[string]string{"db": "multi.sqlite"}, 0},
		{"double quotes stripped", []string{"servers", "-db", `"multi.sqlite"`}, "servers", map[string]string{"db": "multi.sqlite"}, 0},
		{"backquotes kept", []string{"servers", "-db", "`m`"}, "servers", map[string]string{"db": "`m`"}, 0},
		{"quote inside a spaced value", []string{"servers", "-db", `a "b`}, "servers", map[string]string{"db": "a "}, 1},
		{"lone quote is a blob", []string{"version", "-x", `"a`}, "version", map[string]string{"x": `"a`}, 0},
		{"empty value vanishes", []string{"servers", "-db", ""}, "servers", map[string]string{"db": ""}, 0},
		{"negative number is a value", []string{"servers", "-db", "-5"}, "servers", map[string]string{"db": "-5"}, 0},
		{"dashed word is a value", []string{"servers", "-db", "x-y"}, "servers", map[string]string{"db": "x-y"}, 0},
		{"number value", []string{"servers", "-db", "5"}, "servers", map[string]string{"db": "5"}, 0},
		{"path value", []string{"load", "-config", "/etc/m2/x.conf"}, "load", map[string]string{"config": "/etc/m2/x.conf"}, 0},
		{"lone dash", []string{"version", "-"}, "version", map[string]string{}, 1},
		{"double dash", []string{"servers", "-db", "m", "--"}, "servers", map[string]string{"db": "m"}, 1},
		{"dotted option", []string{"servers", "-a.b"}, "servers", map[string]string{"a.b": ""}, 0},
		{"underscore option", []string{"servers", "-_"}, "servers", map[string]string{"_": ""}, 0},
		{"option with digits", []string{"servers", "-a1", "x"}, "servers", map[string]string{"a1": "x"}, 0},
		{"dotted command", []string{"a.b"}, "a.b", map[string]string{}, 0},
		{"tab splits an argument", []string{"servers", "-db\tx"}, "servers", map[string]string{"db": "x"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, ok, errMsg := parseInvocation(scanArgs(joinArgs(tc.args)))
			if !ok || errMsg != "" {
				t.Fatalf("ok=%v err=%q", ok, errMsg)
			}
			if inv.name != tc.cmd || inv.extra != tc.extra || !reflect.DeepEqual(inv.options, tc.options) {
				t.Errorf("got %s %v extra %d, want %s %v extra %d", inv.name, inv.options, inv.extra, tc.cmd, tc.options, tc.extra)
			}
		})
	}
}

func TestParseInvocationWithoutCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		ok     bool
		errMsg string
	}{
		{"no arguments", nil, false, ""},
		{"one empty argument", []string{""}, false, ""},
		{"quoted space", []string{" "}, true, errNoCommandName},
		{"number", []string{"123"}, true, errNoCommandName},
		{"path", []string{"/x"}, true, errNoCommandName},
		{"option", []string{"-x"}, true, errNoCommandName},
		{"two words", []string{"ver sion"}, true, errNoCommandName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, errMsg := parseInvocation(scanArgs(joinArgs(tc.args)))
			if ok != tc.ok || errMsg != tc.errMsg {
				t.Errorf("got ok=%v err=%q, want ok=%v err=%q", ok, errMsg, tc.ok, tc.errMsg)
			}
		})
	}
}

func TestScanArgsTokens(t *testing.T) {
	got := scanArgs(`m2sh --on 'it''s' 12 a.b_1 x-y -q.r`)
	want := []arg{
		{argIdent, "m2sh"},
		{argOption, "on"},
		{argBlob, "'it''s'"}, // the longest match wins over the string 'it'
		{argNumber, "12"},
		{argIdent, "a.b_1"},
		{argBlob, "x-y"},
		{argOption, "q.r"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if got := scanArgs(`m2sh "a\"b c"`); len(got) != 2 || got[1] != (arg{argString, `a\"b c`}) {
		t.Errorf("escaped quote: got %v", got)
	}
}
