package m2sh

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/m2conf"
)

// The differential tests run the same input through Debian's m2sh 1.12.2
// and this package and compare the results. They are skipped where the
// original (or the sqlite3 shell used to dump databases) is not installed.

const realM2sh = "/usr/bin/m2sh"

func needOracle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(realM2sh); err != nil {
		t.Skip("m2sh 1.12.2 is not installed at " + realM2sh)
	}
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("the sqlite3 shell is not installed")
	}
}

// runReal runs the original m2sh in dir with LOGNAME set.
func runReal(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runRealStdin(t, dir, "", args...)
}

// runRealStdin runs the original m2sh in dir with LOGNAME set and stdin
// as its input.
func runRealStdin(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, realM2sh, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LOGNAME=tester")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", realM2sh, err)
	}
	return rc, out.String(), errOut.String()
}

// dumpTables is what the tests compare: the .schema text, then every table
// row by row with SQL-quoted values (so NULL, integers and text differ),
// leaving out mimetype rows of the given extensions and log.happened_at.
func dumpTables(t *testing.T, db string, skipExt []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(sqlite3(t, db, ".schema"))
	for _, table := range []string{"server", "host", "handler", "proxy", "directory", "route", "setting", "statistic", "filter", "xrequest"} {
		b.WriteString("== " + table + "\n")
		b.WriteString(sqlite3(t, db, "SELECT * FROM "+table+" ORDER BY rowid"))
	}
	where := ""
	if len(skipExt) > 0 {
		quoted := make([]string, len(skipExt))
		for i, e := range skipExt {
			quoted[i] = "'" + strings.ReplaceAll(e, "'", "''") + "'"
		}
		where = " WHERE extension NOT IN (" + strings.Join(quoted, ", ") + ")"
	}
	b.WriteString("== mimetype\n")
	b.WriteString(sqlite3(t, db, "SELECT * FROM mimetype"+where+" ORDER BY rowid"))
	b.WriteString("== log\n")
	b.WriteString(sqlite3(t, db, "SELECT id, who, what, location, how, why FROM log ORDER BY id"))
	return b.String()
}

func sqlite3(t *testing.T, db, query string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", "-cmd", ".mode quote", db, query).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s %q: %v\n%s", db, query, err, out)
	}
	return string(out)
}

// customMIME returns the config's own mimetypes, which m2sh 1.12.2 fails to
// insert (spec §7.5) and this package inserts.
func customMIME(t *testing.T, conf string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m2conf.Parse(conf, src)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if a := f.Lookup("mimetypes"); a != nil {
		for _, it := range m2conf.Deref(a.Value).(*m2conf.Dict).Entries() {
			out[it.Key] = m2conf.Deref(it.Value).(*m2conf.String).Value
		}
	}
	return out
}

func TestLoadMatchesM2sh(t *testing.T) {
	needOracle(t)
	t.Setenv("LOGNAME", "tester")
	confs, err := filepath.Glob("../config/testdata/*.conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("no configs: %v", err)
	}
	for _, conf := range confs {
		conf, _ := filepath.Abs(conf)
		t.Run(filepath.Base(conf), func(t *testing.T) {
			dir := t.TempDir()
			realDB := filepath.Join(dir, "real.sqlite")
			ourDB := filepath.Join(dir, "ours.sqlite")
			runReal(t, dir, "load", "-config", conf, "-db", realDB)
			if _, err := os.Stat(realDB); err != nil {
				t.Fatalf("m2sh 1.12.2 wrote no database: %v", err)
			}
			var out, errOut bytes.Buffer
			if rc := Main([]string{"load", "-config", conf, "-db", ourDB}, &out, &errOut); rc != 0 {
				t.Fatalf("load failed with %d: %s", rc, errOut.String())
			}

			mime := customMIME(t, conf)
			var exts []string
			for ext := range mime {
				exts = append(exts, ext)
			}
			real, ours := dumpTables(t, realDB, exts), dumpTables(t, ourDB, exts)
			if real != ours {
				t.Errorf("databases differ:\n%s", lineDiff(real, ours))
			}
			for ext, typ := range mime {
				rows, err := config.QueryText(ourDB, "SELECT mimetype FROM mimetype WHERE extension = ?", ext)
				if err != nil || len(rows) != 1 || rows[0][0] != typ {
					t.Errorf("custom type %s: got %q (%v), want %q", ext, rows, err, typ)
				}
			}

			servers, err := config.Servers(realDB)
			if err != nil {
				t.Fatal(err)
			}
			for _, srv := range servers {
				realSnap, err := config.Load(realDB, srv.UUID)
				if err != nil {
					t.Errorf("Load of m2sh 1.12.2's database, server %s: %v", srv.UUID, err)
					continue
				}
				ourSnap, err := config.Load(ourDB, srv.UUID)
				if err != nil {
					t.Errorf("Load of our database, server %s: %v", srv.UUID, err)
					continue
				}
				if len(mime) > 0 {
					realSnap.MIME, ourSnap.MIME = nil, nil
				}
				if !reflect.DeepEqual(realSnap, ourSnap) {
					t.Errorf("server %s: snapshots of the two databases differ", srv.UUID)
				}
			}
		})
	}
}

// lineDiff shows the first differing lines of two dumps.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + "\n m2sh: " + x + "\n ours: " + y
		}
	}
	return ""
}

var stampRE = regexp.MustCompile(`(?m)^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT `)

func TestCommandLineMatchesM2sh(t *testing.T) {
	needOracle(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "config.sqlite")
	sample, _ := filepath.Abs("../config/testdata/multi.conf")
	if rc, _, stderr := runReal(t, dir, "load", "-config", sample, "-db", db); rc != 0 {
		t.Fatalf("m2sh load: %s", stderr)
	}
	t.Chdir(dir)
	tests := [][]string{
		{"foo"},
		{"foo", "bar"},
		{"servers", "bar"},
		{"servers", "-db=x"},
		{"servers", "---db", "x"},
		{"123"},
		{" "},
		{"version"},
		{"version", "-x", "y"},
		{"servers", "-db", db},
		{"servers", "--db", "'" + db + "'"},
		{"servers", "-db", db, "-db"},
		{"servers", "-db", "missing.sqlite"},
		{"servers"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			rcReal, outReal, errReal := runReal(t, dir, args...)
			var out, errOut bytes.Buffer
			rc := Main(args, &out, &errOut)
			errReal = stampRE.ReplaceAllString(errReal, "")
			errOurs := stampRE.ReplaceAllString(errOut.String(), "")
			if rc != rcReal || out.String() != outReal || errOurs != errReal {
				t.Errorf("m2sh 1.12.2: rc %d\nstdout %q\nstderr %q\nours: rc %d\nstdout %q\nstderr %q",
					rcReal, outReal, errReal, rc, out.String(), errOurs)
			}
		})
	}
}
