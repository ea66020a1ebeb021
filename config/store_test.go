package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteCreatesTheSchemaText(t *testing.T) {
	path := writeDB(t, testDataset())
	rows, err := QueryText(path, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r[0] + ";\n")
	}
	// This is what `sqlite3 DB .schema` prints.
	if got := b.String(); got != Schema() {
		t.Errorf("schema differs\n got:\n%s\nwant:\n%s", got, Schema())
	}
	if !strings.HasPrefix(Schema(), "CREATE TABLE server (id INTEGER PRIMARY KEY,\n    uuid TEXT,") {
		t.Error("schema.sql does not start with the server table")
	}
}

func TestWriteRows(t *testing.T) {
	path := writeDB(t, testDataset())
	tests := []struct {
		query string
		want  [][]string
	}{
		{"SELECT * FROM server WHERE id = 1",
			[][]string{{"1", testUUID, "/logs/access.log", "/logs/error.log", "./", "/run/m2.pid", "", "localhost", "main", "127.0.0.1", "6767", "0"}}},
		{"SELECT * FROM host WHERE id = 2", [][]string{{"2", "1", "0", "wild", "(.*).wild.org"}}},
		{"SELECT * FROM handler WHERE id = 1", [][]string{{"1", "tcp://127.0.0.1:9999", "a", "tcp://127.0.0.1:9998", "", "1", "tnetstring"}}},
		{"SELECT * FROM directory", [][]string{{"1", "static/", "index.html", "text/plain", "30"}}},
		{"SELECT * FROM route WHERE id = 5", [][]string{{"5", "/p/", "0", "1", "1", "proxy"}}},
		{"SELECT * FROM setting", [][]string{{"1", "limits.buffer_size", "8192"}, {"2", "control_port", "ipc://run/from-setting"}}},
		{"SELECT * FROM filter", [][]string{{"1", "1", "/x/null.so", "0:}"}}},
		{"SELECT typeof(port), typeof(use_ssl) FROM server WHERE id = 2", [][]string{{"integer", "integer"}}},
		// Custom types replace the built-in row and are appended.
		{"SELECT id, mimetype FROM mimetype WHERE extension IN ('.txt', '.zzz') ORDER BY id",
			[][]string{{"858", "text/x-mine"}, {"859", "application/zzz"}}},
		{"SELECT count(*), max(id) FROM mimetype", [][]string{{"858", "859"}}},
	}
	for _, tc := range tests {
		got, err := QueryText(path, tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.query, got, tc.want)
		}
	}
}

func TestWriteKeepsTheLog(t *testing.T) {
	path := writeDB(t, testDataset())
	if err := AppendLog(path, LogEntry{Who: "zed", What: "load", Location: "box", How: "m.conf", Why: "command"}); err != nil {
		t.Fatal(err)
	}
	small := &Dataset{Settings: []SettingRow{{ID: 1, Key: "a", Value: "b"}}}
	if err := Write(path, small); err != nil {
		t.Fatal(err)
	}
	got, err := QueryText(path, "SELECT id, who, what, location, how, why, happened_at IS NOT NULL FROM log")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"1", "zed", "load", "box", "m.conf", "command", "1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
	if got, _ := QueryText(path, "SELECT count(*) FROM server"); got[0][0] != "0" {
		t.Errorf("%s servers left from the first write", got[0][0])
	}
}

func TestWriteFailureChangesNothing(t *testing.T) {
	path := writeDB(t, testDataset())
	bad := testDataset()
	bad.Routes = append(bad.Routes, RouteRow{ID: 1, Path: "/dup"})
	if err := Write(path, bad); err == nil {
		t.Fatal("a dataset with a duplicate route id was written")
	}
	if _, err := Load(path, testUUID); err != nil {
		t.Errorf("the earlier configuration is gone: %v", err)
	}
}

func TestAppendLogNeedsAnExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.sqlite")
	if err := AppendLog(path, LogEntry{Who: "x"}); err == nil {
		t.Error("logged to a missing database")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("AppendLog created the database")
	}
}

func TestDefaultMIMETypes(t *testing.T) {
	types := DefaultMIMETypes()
	if len(types) != 857 {
		t.Fatalf("%d built-in types, want 857", len(types))
	}
	seen := map[string]bool{}
	for i, m := range types {
		if m.ID != int64(i+1) {
			t.Fatalf("row %d has id %d", i, m.ID)
		}
		if !strings.HasPrefix(m.Extension, ".") || m.Type == "" || seen[m.Extension] {
			t.Fatalf("bad row %+v", m)
		}
		seen[m.Extension] = true
	}
	// First and last rows of m2sh 1.12.2's table.
	if types[0] != (MIMEType{ID: 1, Extension: ".obd", Type: "application/x-msbinder"}) {
		t.Errorf("first row %+v", types[0])
	}
	if !seen[".pcf.Z"] || !seen[".%"] || !seen[".~"] {
		t.Error("odd entries of Appendix A are missing")
	}
}

func TestSQLiteURI(t *testing.T) {
	tests := map[string]string{
		"config.sqlite":   "file:config.sqlite",
		"/tmp/a b.sqlite": "file:///tmp/a b.sqlite",
		"//srv/x":         "file:////srv/x",
		"we?ird#%.db":     "file:we%3fird%23%25.db",
	}
	for in, want := range tests {
		if got := sqliteURI(in); got != want {
			t.Errorf("sqliteURI(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	odd := filepath.Join(dir, "we?ird#%.sqlite")
	if err := Write(odd, &Dataset{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("database not at its literal path: %v", err)
	}
}
