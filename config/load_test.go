package config

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const testUUID = "f400bf85-4538-4f7a-8908-000000000001"

// testDataset is a valid configuration touching every table: two servers,
// hosts with shared targets, two handler rows with the same socket specs,
// settings, a custom MIME type, filters and xrequests.
func testDataset() *Dataset {
	return &Dataset{
		Servers: []ServerRow{
			{ID: 1, UUID: testUUID, AccessLog: "/logs/access.log", ErrorLog: "/logs/error.log",
				Chroot: "./", PidFile: "/run/m2.pid", DefaultHost: "localhost", Name: "main",
				BindAddr: "127.0.0.1", Port: 6767},
			{ID: 2, UUID: "other", AccessLog: "a", ErrorLog: "e", PidFile: "p",
				ControlPort: "ipc://run/other", DefaultHost: "o", Name: "other", BindAddr: "0.0.0.0", Port: 80, UseSSL: 1},
		},
		Hosts: []HostRow{
			{ID: 1, ServerID: 1, Name: "localhost", Matching: "localhost"},
			{ID: 2, ServerID: 1, Name: "wild", Matching: "(.*).wild.org"},
			{ID: 3, ServerID: 2, Name: "o", Matching: "o"},
		},
		Handlers: []HandlerRow{
			{ID: 1, SendSpec: "tcp://127.0.0.1:9999", SendIdent: "a", RecvSpec: "tcp://127.0.0.1:9998", RecvIdent: "", Protocol: "tnetstring", RawPayload: 1},
			{ID: 2, SendSpec: "tcp://127.0.0.1:9999", SendIdent: "b", RecvSpec: "tcp://127.0.0.1:9998", RecvIdent: "b", Protocol: "json"},
			{ID: 3, SendSpec: "tcp://127.0.0.1:9997", SendIdent: "c", RecvSpec: "tcp://127.0.0.1:9996", Protocol: "jsonish"},
		},
		Proxies: []ProxyRow{{ID: 1, Addr: "127.0.0.1", Port: 8080}},
		Dirs: []DirRow{
			{ID: 1, Base: "static/", IndexFile: "index.html", DefaultCType: "text/plain", CacheTTL: 30},
		},
		Routes: []RouteRow{
			{ID: 1, Path: "/", HostID: 1, TargetID: 1, TargetType: "dir"},
			{ID: 2, Path: "/h", HostID: 1, TargetID: 1, TargetType: "handler"},
			{ID: 3, Path: "/h2", HostID: 1, TargetID: 2, TargetType: "handler"},
			{ID: 4, Path: "/h3", HostID: 1, TargetID: 3, TargetType: "handler"},
			{ID: 5, Path: "/p/", HostID: 1, TargetID: 1, TargetType: "proxy"},
			{ID: 6, Path: "/", HostID: 2, TargetID: 1, TargetType: "dir"},
			{ID: 7, Path: "/", HostID: 3, TargetID: 1, TargetType: "proxy"},
		},
		Settings: []SettingRow{
			{ID: 1, Key: "limits.buffer_size", Value: "8192"},
			{ID: 2, Key: "control_port", Value: "ipc://run/from-setting"},
		},
		Filters:   []PluginRow{{ID: 1, ServerID: 1, Name: "/x/null.so", Settings: "0:}"}},
		XRequests: []PluginRow{{ID: 1, ServerID: 2, Name: "/x/sendfile.so", Settings: "0:}"}},
		MIMETypes: []MIMEType{{Extension: ".txt", Type: "text/x-mine"}, {Extension: ".zzz", Type: "application/zzz"}},
	}
}

// writeDB writes d to a fresh database, applies the extra SQL and returns
// the path.
func writeDB(t *testing.T, d *Dataset, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.sqlite")
	if err := Write(path, d); err != nil {
		t.Fatal(err)
	}
	execSQL(t, path, extra...)
	return path
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	if len(stmts) == 0 {
		return
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestLoad(t *testing.T) {
	snap, err := Load(writeDB(t, testDataset()), testUUID)
	if err != nil {
		t.Fatal(err)
	}
	wantServer := Server{ID: 1, Name: "main", UUID: testUUID, DefaultHostName: "localhost",
		BindAddr: "127.0.0.1", Port: 6767, Chroot: "./", AccessLog: "/logs/access.log",
		ErrorLog: "/logs/error.log", PidFile: "/run/m2.pid", ControlPort: "ipc://run/from-setting",
		ErrorLogLevel: 2}
	if snap.Server != wantServer {
		t.Errorf("server\n got %+v\nwant %+v", snap.Server, wantServer)
	}
	if snap.Settings.BufferSize != 8192 {
		t.Errorf("buffer size = %d, want 8192", snap.Settings.BufferSize)
	}
	if got := len(snap.MIME); got != 858 {
		t.Errorf("%d MIME types, want 858 (857 built in, .txt replaced, .zzz added)", got)
	}
	if snap.MIME[".txt"] != "text/x-mine" || snap.MIME[".zzz"] != "application/zzz" || snap.MIME[".html"] != "text/html" {
		t.Errorf("MIME .txt=%q .zzz=%q .html=%q", snap.MIME[".txt"], snap.MIME[".zzz"], snap.MIME[".html"])
	}
	if len(snap.Hosts) != 2 || snap.Hosts[0].Name != "localhost" || snap.Hosts[1].Matching != "(.*).wild.org" {
		t.Fatalf("hosts = %+v", snap.Hosts)
	}
	if snap.DefaultHost != snap.Hosts[0] {
		t.Error("DefaultHost is not the localhost host")
	}
	routes := snap.Hosts[0].Routes
	var paths []string
	for _, r := range routes {
		paths = append(paths, r.TargetType+" "+r.Path)
	}
	if want := []string{"dir /", "handler /h", "handler /h2", "handler /h3", "proxy /p/"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("routes = %v, want %v", paths, want)
	}
	if routes[0].Dir != snap.Hosts[1].Routes[0].Dir {
		t.Error("two routes to directory 1 do not share one *Dir")
	}
	if *routes[0].Dir != (Dir{ID: 1, Base: "static/", IndexFile: "index.html", DefaultCType: "text/plain", CacheTTL: 30}) {
		t.Errorf("dir = %+v", *routes[0].Dir)
	}
	h1, h2, h3 := routes[1].Handler, routes[2].Handler, routes[3].Handler
	if h1 != h2 {
		t.Error("handlers with the same send_spec and recv_spec are not one *Handler")
	}
	if h1.ID != 1 || h1.SendIdent != "a" || !h1.RawPayload || h1.Protocol != "tnetstring" {
		t.Errorf("first handler row does not win: %+v", *h1)
	}
	if h3.Protocol != "json" {
		t.Errorf("protocol %q for a row that is not tnetstring, want json", h3.Protocol)
	}
	if *routes[4].Proxy != (Proxy{ID: 1, Addr: "127.0.0.1", Port: 8080}) {
		t.Errorf("proxy = %+v", *routes[4].Proxy)
	}
	if want := []Plugin{{ID: 1, Name: "/x/null.so", Settings: "0:}"}}; !reflect.DeepEqual(snap.Filters, want) {
		t.Errorf("filters = %+v, want %+v", snap.Filters, want)
	}
	if len(snap.XRequests) != 0 {
		t.Errorf("xrequests of another server loaded: %+v", snap.XRequests)
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", snap.Warnings)
	}

	other, err := Load(writeDB(t, testDataset()), "other")
	if err != nil {
		t.Fatal(err)
	}
	if other.Server.ControlPort != "ipc://run/other" || !other.Server.UseSSL {
		t.Errorf("other server = %+v", other.Server)
	}
	if len(other.XRequests) != 1 || other.Hosts[0].Routes[0].Proxy == nil {
		t.Errorf("other server: xrequests %+v, routes %+v", other.XRequests, other.Hosts[0].Routes)
	}
}

func TestLoadDefaultsAndTolerance(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		check func(t *testing.T, s *Snapshot)
	}{
		{"control port falls back to the built-in default",
			[]string{"DELETE FROM setting WHERE key = 'control_port'"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.ControlPort != "ipc://run/control" {
					t.Errorf("control port %q", s.Server.ControlPort)
				}
			}},
		{"database without a control_port column",
			[]string{"ALTER TABLE server DROP COLUMN control_port", "DELETE FROM setting"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.ControlPort != "ipc://run/control" {
					t.Errorf("control port %q", s.Server.ControlPort)
				}
			}},
		{"NULL control_port reads as empty",
			[]string{"UPDATE server SET control_port = NULL"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.ControlPort != "ipc://run/from-setting" {
					t.Errorf("control port %q", s.Server.ControlPort)
				}
			}},
		{"database without an xrequest table",
			[]string{"DROP TABLE xrequest"},
			func(t *testing.T, s *Snapshot) {
				if s.XRequests != nil {
					t.Errorf("xrequests %+v", s.XRequests)
				}
			}},
		{"1.13 error_log_level column",
			[]string{"ALTER TABLE server ADD COLUMN error_log_level INTEGER DEFAULT 2", "UPDATE server SET error_log_level = 3"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.ErrorLogLevel != 3 {
					t.Errorf("error log level %d", s.Server.ErrorLogLevel)
				}
			}},
		{"NULL name reads as empty",
			[]string{"UPDATE server SET name = NULL"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.Name != "" {
					t.Errorf("name %q", s.Server.Name)
				}
			}},
		{"duplicate setting: the first row wins",
			[]string{"INSERT INTO setting (key, value) VALUES ('limits.buffer_size', '1024')"},
			func(t *testing.T, s *Snapshot) {
				if s.Settings.BufferSize != 8192 || s.Settings.Raw["limits.buffer_size"] != "8192" {
					t.Errorf("buffer size %d", s.Settings.BufferSize)
				}
				if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `setting "limits.buffer_size" in row id 3`) {
					t.Errorf("warnings %q", s.Warnings)
				}
			}},
		{"unusual raw_payload means raw, with a warning",
			[]string{"UPDATE handler SET raw_payload = 2 WHERE id = 3"},
			func(t *testing.T, s *Snapshot) {
				if !s.Hosts[0].Routes[3].Handler.RawPayload || len(s.Warnings) != 1 {
					t.Errorf("raw %v, warnings %q", s.Hosts[0].Routes[3].Handler.RawPayload, s.Warnings)
				}
			}},
		{"same send_spec, different recv_spec: warned",
			[]string{"UPDATE handler SET recv_spec = 'tcp://127.0.0.1:1' WHERE id = 2"},
			func(t *testing.T, s *Snapshot) {
				if s.Hosts[0].Routes[1].Handler == s.Hosts[0].Routes[2].Handler {
					t.Error("handlers with different recv_spec merged")
				}
				if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "shares a socket spec") {
					t.Errorf("warnings %q", s.Warnings)
				}
			}},
		{"several servers with one uuid: the last wins",
			[]string{"UPDATE server SET uuid = '" + testUUID + "', default_host = 'localhost' WHERE id = 2",
				"UPDATE host SET server_id = 2"},
			func(t *testing.T, s *Snapshot) {
				if s.Server.ID != 2 || len(s.Warnings) != 1 {
					t.Errorf("server %d, warnings %q", s.Server.ID, s.Warnings)
				}
			}},
		{"default host: the last host with the name",
			[]string{"UPDATE host SET name = 'localhost' WHERE id = 2"},
			func(t *testing.T, s *Snapshot) {
				if s.DefaultHost != s.Hosts[1] {
					t.Error("default host is not the last matching host")
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := Load(writeDB(t, testDataset(), tc.extra...), testUUID)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, snap)
		})
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		cell  *CellError // expected type error, or nil
		msg   string     // expected message of another ErrInvalid error
	}{
		{name: "NULL text in server", extra: []string{"UPDATE server SET access_log = NULL WHERE id = 1"},
			cell: &CellError{Table: "server", RowID: 1, Column: "access_log", Want: "TEXT", Got: "NULL"}},
		{name: "text in an integer column", extra: []string{"UPDATE server SET port = 'eighty' WHERE id = 1"},
			cell: &CellError{Table: "server", RowID: 1, Column: "port", Want: "INTEGER", Got: "TEXT"}},
		{name: "real in an integer column", extra: []string{"UPDATE server SET use_ssl = 0.5 WHERE id = 1"},
			cell: &CellError{Table: "server", RowID: 1, Column: "use_ssl", Want: "INTEGER", Got: "REAL"}},
		{name: "NULL setting value", extra: []string{"INSERT INTO setting (id, key, value) VALUES (9, 'x', NULL)"},
			cell: &CellError{Table: "setting", RowID: 9, Column: "value", Want: "TEXT", Got: "NULL"}},
		{name: "blob MIME type", extra: []string{"UPDATE mimetype SET mimetype = x'41' WHERE id = 1"},
			cell: &CellError{Table: "mimetype", RowID: 1, Column: "mimetype", Want: "TEXT", Got: "BLOB"}},
		{name: "NULL host matching", extra: []string{"UPDATE host SET matching = NULL WHERE id = 2"},
			cell: &CellError{Table: "host", RowID: 2, Column: "matching", Want: "TEXT", Got: "NULL"}},
		{name: "NULL route path", extra: []string{"UPDATE route SET path = NULL WHERE id = 3"},
			cell: &CellError{Table: "route", RowID: 3, Column: "path", Want: "TEXT", Got: "NULL"}},
		{name: "NULL handler protocol", extra: []string{"UPDATE handler SET protocol = NULL WHERE id = 3"},
			cell: &CellError{Table: "handler", RowID: 3, Column: "protocol", Want: "TEXT", Got: "NULL"}},
		{name: "NULL directory index", extra: []string{"UPDATE directory SET index_file = NULL"},
			cell: &CellError{Table: "directory", RowID: 1, Column: "index_file", Want: "TEXT", Got: "NULL"}},
		{name: "NULL proxy port", extra: []string{"UPDATE proxy SET port = NULL"},
			cell: &CellError{Table: "proxy", RowID: 1, Column: "port", Want: "INTEGER", Got: "NULL"}},
		{name: "NULL filter settings", extra: []string{"UPDATE filter SET settings = NULL"},
			cell: &CellError{Table: "filter", RowID: 1, Column: "settings", Want: "TEXT", Got: "NULL"}},
		{name: "unknown target type", extra: []string{"UPDATE route SET target_type = 'Dir' WHERE id = 1"},
			msg: `config: route row id 1: target_type "Dir" is not dir, proxy or handler`},
		{name: "missing target row", extra: []string{"UPDATE route SET target_id = 7 WHERE id = 5"},
			msg: "config: route row id 5: no proxy row with id 7"},
		{name: "dir base without trailing slash", extra: []string{"UPDATE directory SET base = 'static'"},
			msg: `config: directory row id 1: base "static" does not end with '/'`},
		{name: "dir base too long", extra: []string{"UPDATE directory SET base = 'abcdefghi/'", "INSERT INTO setting (key, value) VALUES ('limits.dir_max_path', '10')"},
			msg: "config: directory row id 1: base is 10 bytes, limits.dir_max_path is 10"},
		{name: "default host missing", extra: []string{"UPDATE server SET default_host = 'nowhere' WHERE id = 1"},
			msg: `config: server row id 1: default_host "nowhere" names none of its hosts`},
		{name: "port zero", extra: []string{"UPDATE server SET port = 0 WHERE id = 1"},
			msg: "config: server row id 1: port 0 is not positive"},
		{name: "host name too long", extra: []string{"INSERT INTO setting (key, value) VALUES ('limits.host_name', '9')", "UPDATE host SET name = 'localhost' WHERE id = 1"},
			msg: "config: host row id 1: name is 9 bytes, limits.host_name is 9"},
		{name: "MIME extension without a dot", extra: []string{"UPDATE mimetype SET extension = 'obd' WHERE id = 1"},
			msg: `config: mimetype row id 1: extension "obd" does not start with '.'`},
		{name: "duplicate MIME extension", extra: []string{"UPDATE mimetype SET extension = '.obd' WHERE id = 2"},
			msg: `config: mimetype row id 2: extension ".obd" already exists`},
		{name: "empty MIME type", extra: []string{"UPDATE mimetype SET mimetype = '' WHERE id = 2"},
			msg: `config: mimetype row id 2: empty type for ".obj"`},
		{name: "MIME extension too long", extra: []string{"INSERT INTO setting (key, value) VALUES ('limits.mime_ext_len', '4')"},
			msg: `config: mimetype row id 1: extension ".obd" is 4 bytes, limits.mime_ext_len is 4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := Load(writeDB(t, testDataset(), tc.extra...), testUUID)
			if err == nil {
				t.Fatalf("loaded %+v, want an error", snap.Server)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if tc.cell != nil {
				var ce *CellError
				if !errors.As(err, &ce) || *ce != *tc.cell {
					t.Errorf("got %v, want %v", err, tc.cell)
				}
				return
			}
			if err.Error() != tc.msg {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestLoadNoServer(t *testing.T) {
	_, err := Load(writeDB(t, testDataset()), "nobody")
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("got %v, want ErrNoServer", err)
	}
}

func TestLoadMissingDatabaseIsNotCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.sqlite")
	if _, err := Load(path, testUUID); err == nil {
		t.Fatal("loaded a missing database")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Load created %s", path)
	}
}

func TestServers(t *testing.T) {
	path := writeDB(t, testDataset(), "UPDATE server SET name = NULL, port = NULL WHERE id = 2")
	got, err := Servers(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d servers, want 2", len(got))
	}
	if got[0].Name != "main" || got[0].ControlPort != "ipc://run/from-setting" || got[0].Port != 6767 {
		t.Errorf("first server %+v", got[0])
	}
	if got[1].Name != "" || got[1].Port != 0 || got[1].ControlPort != "ipc://run/other" || !got[1].UseSSL {
		t.Errorf("second server %+v", got[1])
	}

	old := writeDB(t, testDataset(), "ALTER TABLE server DROP COLUMN control_port", "DROP TABLE setting")
	got, err = Servers(old)
	if err != nil {
		t.Fatal(err)
	}
	if got[1].ControlPort != "ipc://run/control" {
		t.Errorf("control port in an old database: %q", got[1].ControlPort)
	}
}

func TestQueryText(t *testing.T) {
	path := writeDB(t, &Dataset{})
	execSQL(t, path, "CREATE TABLE t (a, b, c)",
		"INSERT INTO t VALUES (NULL, 5, 2.5)",
		"INSERT INTO t VALUES (1.0, 1e20, 1.5e-7)",
		"INSERT INTO t VALUES (x'', x'4142', 'a'||char(0)||'b')",
		"INSERT INTO t VALUES (-3, 123456789012, 'text')")
	got, err := QueryText(path, "SELECT a, b, c FROM t ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"(null)", "5", "2.5"},
		{"1.0", "1.0e+20", "1.5e-07"},
		{"(null)", "AB", "a"},
		{"-3", "123456789012", "text"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if _, err := QueryText(path, "SELECT * FROM nothing"); err == nil {
		t.Error("query of a missing table succeeded")
	}
}
