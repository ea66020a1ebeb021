package m2sh

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/m2conf"
)

// serverArgs are the required Server arguments, for building test configs.
const serverArgs = `uuid="u1", access_log="a", error_log="e", pid_file="p", default_host="h", name="n", port=80`

func compileString(t *testing.T, src string) (*config.Dataset, error) {
	t.Helper()
	f, err := m2conf.Parse("t.conf", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return compile(f)
}

func TestCompileRows(t *testing.T) {
	src := `
d = Dir(base='static/', index_file='index.html', default_ctype='text/plain', cache_ttl=30)
h = Handler(send_spec='s', send_ident='si', recv_spec='r', recv_ident='ri', raw_payload=10)
routes = {'/': d, '/h': h, '/x': Handler(send_spec='s2', send_ident='', recv_spec='r2', recv_ident='', raw_payload=01, protocol='tnetstring')}
main = Server(` + serverArgs + `, hosts=[Host(name="h", routes=routes), Host(name="h2", matching="(.*).h2", routes=routes)])
other = Server(uuid="u2", access_log="a", error_log="e", pid_file="p", default_host="o", name="o", port=81,
    chroot="/c/", bind_addr="::1", use_ssl=1, control_port="ipc://c",
    hosts=[Host(name="o", routes={'/': Dir(base='o/', index_file='i', default_ctype='t', cache_ttl=007), '/p': Proxy(addr='b', port=8080), '/d': d})])
servers = [main, other]
settings = {"b": 2, "a": "x"}
`
	data, err := compileString(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Dataset{
		Servers: []config.ServerRow{
			{ID: 1, UUID: "u1", AccessLog: "a", ErrorLog: "e", PidFile: "p", DefaultHost: "h", Name: "n", BindAddr: "0.0.0.0", Port: 80},
			{ID: 2, UUID: "u2", AccessLog: "a", ErrorLog: "e", Chroot: "/c/", PidFile: "p", ControlPort: "ipc://c", DefaultHost: "o", Name: "o", BindAddr: "::1", Port: 81, UseSSL: 1},
		},
		Hosts: []config.HostRow{
			{ID: 1, ServerID: 1, Name: "h", Matching: "h"},
			{ID: 2, ServerID: 1, Name: "h2", Matching: "(.*).h2"},
			{ID: 3, ServerID: 2, Name: "o", Matching: "o"},
		},
		Handlers: []config.HandlerRow{
			{ID: 1, SendSpec: "s", SendIdent: "si", RecvSpec: "r", RecvIdent: "ri", RawPayload: 1, Protocol: "json"},
			{ID: 2, SendSpec: "s2", RecvSpec: "r2", Protocol: "tnetstring"},
		},
		Proxies: []config.ProxyRow{{ID: 1, Addr: "b", Port: 8080}},
		Dirs: []config.DirRow{
			{ID: 1, Base: "static/", IndexFile: "index.html", DefaultCType: "text/plain", CacheTTL: 30},
			{ID: 2, Base: "o/", IndexFile: "i", DefaultCType: "t"},
		},
		Routes: []config.RouteRow{
			{ID: 1, Path: "/", HostID: 1, TargetID: 1, TargetType: "dir"},
			{ID: 2, Path: "/h", HostID: 1, TargetID: 1, TargetType: "handler"},
			{ID: 3, Path: "/x", HostID: 1, TargetID: 2, TargetType: "handler"},
			{ID: 4, Path: "/", HostID: 2, TargetID: 1, TargetType: "dir"},
			{ID: 5, Path: "/h", HostID: 2, TargetID: 1, TargetType: "handler"},
			{ID: 6, Path: "/x", HostID: 2, TargetID: 2, TargetType: "handler"},
			{ID: 7, Path: "/", HostID: 3, TargetID: 2, TargetType: "dir"},
			{ID: 8, Path: "/p", HostID: 3, TargetID: 1, TargetType: "proxy"},
			{ID: 9, Path: "/d", HostID: 3, TargetID: 1, TargetType: "dir"},
		},
		Settings: []config.SettingRow{{ID: 1, Key: "b", Value: "2"}, {ID: 2, Key: "a", Value: "x"}},
	}
	if !reflect.DeepEqual(data, want) {
		t.Errorf("got\n%#v\nwant\n%#v", data, want)
	}
}

func TestCompileErrors(t *testing.T) {
	host := func(routes string) string {
		return `main = Server(` + serverArgs + `, hosts=[Host(name="h", routes=` + routes + `)])` + "\nservers = [main]\n"
	}
	dir := `Dir(base='x/', index_file='i', default_ctype='t')`
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"no servers variable", "x = 1\n",
			[]string{"t.conf: no servers variable: set servers = [...] to the Server(...) values to load"}},
		{"servers not a list", "servers = {}\n",
			[]string{"t.conf:1:11: servers must be a list of Server(...) values, not a dict"}},
		{"not a server", "servers = [Host(name='x')]\n",
			[]string{"t.conf:1:12: each element of servers must be Server(...), not Host(...)"}},
		{"missing server arguments",
			"main = Server(uuid='u', error_log='e', pid_file='p', default_host='h', name='n', hosts=[])\nservers = [main]\n",
			[]string{"t.conf:1:8: Server(...) is missing the 'access_log' argument", "t.conf:1:8: Server(...) is missing the 'port' argument"}},
		{"missing hosts",
			"main = Server(" + serverArgs + ")\nservers = [main]\n",
			[]string{"t.conf:1:8: Server(...) is missing the 'hosts' argument"}},
		{"mistyped arguments",
			`main = Server(uuid=1, access_log="a", error_log="e", pid_file="p", default_host="h", name="n", port="80", hosts={})` + "\nservers = [main]\n",
			[]string{"t.conf:1:20: argument 'uuid' of Server(...) must be a string, not a number",
				"t.conf:1:101: argument 'port' of Server(...) must be a number, not a string",
				"t.conf:1:113: argument 'hosts' of Server(...) must be a list, not a dict"}},
		{"number out of range",
			`main = Server(uuid="u", access_log="a", error_log="e", pid_file="p", default_host="h", name="n", port=99999999999999999999, hosts=[])` + "\nservers = [main]\n",
			[]string{"t.conf:1:103: argument 'port' of Server(...): 99999999999999999999 does not fit in 64 bits"}},
		{"dir base without slash", host(`{'/': Dir(base='static', index_file='i', default_ctype='t')}`),
			[]string{"t.conf:1:152: Dir base 'static' must end with '/'"}},
		{"host without routes", `main = Server(` + serverArgs + `, hosts=[Host(name="h")])` + "\nservers = [main]\n",
			[]string{"t.conf:1:115: Host(...) is missing the 'routes' argument"}},
		{"route to a host", host(`{'/': Host(name='x', routes={})}`),
			[]string{"t.conf:1:143: the target of route '/' must be Dir(...), Proxy(...), Handler(...), not Host(...)"}},
		{"route to a string", host(`{'/': 'static/'}`),
			[]string{"t.conf:1:143: the target of route '/' must be Dir(...), Proxy(...), Handler(...), not a string"}},
		{"shared target with errors is reported once", host(`{'/a': p, '/b': p}`) + "p = Proxy(addr='a')\n",
			[]string{"t.conf:3:5: Proxy(...) is missing the 'port' argument"}},
		{"handler idents", host(`{'/': Handler(send_spec='s', recv_spec='r')}`),
			[]string{"t.conf:1:143: Handler(...) is missing the 'send_ident' argument", "t.conf:1:143: Handler(...) is missing the 'recv_ident' argument"}},
		{"bad settings", host(`{'/': `+dir+`}`) + "settings = {'a': [1], 'b': Dir()}\n",
			[]string{"t.conf:3:18: setting 'a' must be a string or a number, not a list", "t.conf:3:28: setting 'b' must be a string or a number, not Dir(...)"}},
		{"settings not a dict", host(`{'/': `+dir+`}`) + "settings = [1]\n",
			[]string{"t.conf:3:12: settings must be a dict, not a list"}},
		{"bad mimetypes", host(`{'/': `+dir+`}`) + "mimetypes = {'txt': 'text/plain', '.x': ''}\n",
			[]string{"t.conf:3:14: MIME extension 'txt' must start with '.'", "t.conf:3:41: MIME type for '.x' is empty"}},
		{"filter problems",
			`main = Server(` + serverArgs + `, hosts=[], filters=[Filter(name="f"), Xrequest(name="x", settings={}), Filter(name="g", settings={"a": Dir()})])` + "\nservers = [main]\n",
			[]string{"t.conf:1:127: Filter(...) is missing the 'settings' argument",
				"t.conf:1:145: each element of filters must be Filter(...), not Xrequest(...)",
				"t.conf:1:210: a class cannot be stored in plugin settings (only strings, numbers, lists and dicts)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := compileString(t, tc.src)
			if err == nil {
				t.Fatalf("compiled %+v, want errors", data)
			}
			var got []string
			for _, e := range err.(m2conf.ErrorList) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// writeConf writes a config file into dir and returns its path.
func writeConf(t *testing.T, dir, src string) string {
	t.Helper()
	path := filepath.Join(dir, "m.conf")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCommand(t *testing.T) {
	dir := t.TempDir()
	conf, err := filepath.Abs("../config/testdata/spec_minimal.conf")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "config.sqlite")
	rc, stdout, stderr := runM2sh(t, map[string]string{"LOGNAME": "zed"}, "load", "-config", conf, "-db", db)
	if rc != 0 || stdout != "" || stderr != "" {
		t.Fatalf("rc %d, stdout %q, stderr %q", rc, stdout, stderr)
	}
	snap, err := config.Load(db, "f400bf85-4538-4f7a-8908-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Server.Port != 18080 || snap.Settings.Daemonize || snap.Settings.UploadTempStore != "/tmp/up.XXXXXX" {
		t.Errorf("loaded %+v %+v", snap.Server, snap.Settings)
	}
	rows, err := config.QueryText(db, "SELECT id, who, what, location, how, why FROM log")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"1", "zed", "load", "box", conf, "command"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("log %q, want %q", rows, want)
	}

	// As root: a warning. Without any login name: an error, but the
	// configuration is loaded and the status is still 0.
	rc, _, stderr = runM2sh(t, map[string]string{"LOGNAME": "root"}, "load", "-config", conf, "-db", db)
	if want := stamp + "[WARN] (errno: None) You shouldn't be running things as root.  Use a safe user instead.\n"; rc != 0 || stderr != want {
		t.Errorf("as root: rc %d, stderr %q", rc, stderr)
	}
	rc, _, stderr = runM2sh(t, nil, "load", "-config", conf, "-db", db)
	if want := stamp + "[ERROR] (errno: No such device or address) getlogin failed and no LOGNAME env variable, how'd you do that?\n"; rc != 0 || stderr != want {
		t.Errorf("no login: rc %d, stderr %q", rc, stderr)
	}
	if rows, _ := config.QueryText(db, "SELECT count(*) FROM log"); rows[0][0] != "2" {
		t.Errorf("%s log rows, want 2", rows[0][0])
	}
}

func TestLoadWithErrorsWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the first error line, after the time stamp
	}{
		{"syntax error", "main = [1,]\n", "[ERROR] (errno: None) %s:1:10: syntax error: trailing comma in list\n"},
		{"unknown reference", "servers = [main]\n", "[ERROR] (errno: None) %s:1:12: undefined variable main\n"},
		{"dir base", `main = Server(` + serverArgs + `, hosts=[Host(name="h", routes={'/': Dir(base='x', index_file='i', default_ctype='t')})])` + "\nservers = [main]\n",
			"[ERROR] (errno: None) %s:1:152: Dir base 'x' must end with '/'\n"},
		{"missing server variable", "main = Server(uuid='u', hosts=[])\nservers = [main]\n",
			"[ERROR] (errno: None) %s:1:8: Server(...) is missing the 'access_log' argument\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := writeConf(t, dir, tc.src)
			db := filepath.Join(dir, "config.sqlite")
			rc, stdout, stderr := runM2sh(t, map[string]string{"LOGNAME": "zed"}, "load", "-config", conf, "-db", db)
			first, _, _ := strings.Cut(stderr, "\n")
			if want := stamp + strings.Replace(tc.want, "%s", conf, 1); rc != 255 || stdout != "" || first+"\n" != want {
				t.Errorf("rc %d, stdout %q\nstderr %q\nwant first line %q", rc, stdout, stderr, want)
			}
			last := stamp + "[ERROR] (errno: None) Failed to load the config file " + conf + "; the database " + db + " was not changed.\n"
			if !strings.HasSuffix(stderr, last) {
				t.Errorf("stderr does not end with %q: %q", last, stderr)
			}
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("the database was created")
			}
		})
	}

	// An existing database is left exactly as it was.
	dir := t.TempDir()
	db := filepath.Join(dir, "config.sqlite")
	good, _ := filepath.Abs("../config/testdata/sample.conf")
	if rc, _, stderr := runM2sh(t, map[string]string{"LOGNAME": "zed"}, "load", "-config", good, "-db", db); rc != 0 {
		t.Fatalf("load of sample.conf: %s", stderr)
	}
	before, _ := os.ReadFile(db)
	conf := writeConf(t, dir, "servers = [1,]\n")
	if rc, _, _ := runM2sh(t, map[string]string{"LOGNAME": "zed"}, "load", "-config", conf, "-db", db); rc != 255 {
		t.Errorf("rc %d, want 255", rc)
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("a failed load changed the database")
	}
}
