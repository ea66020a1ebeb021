package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// TestM2shServedByMongrel2 is the smoke test for our m2sh: a database it
// loads must be served by the real mongrel2 exactly like one the real m2sh
// loads.
func TestM2shServedByMongrel2(t *testing.T) {
	compareImpls(t, m2shImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		s := harness.Start(t, impl, basicConfig())
		for _, name := range []string{"json", "tnet"} {
			s.Handler(t, name).OnMessage(harness.Respond(okResponse))
		}
		for _, tc := range []struct{ handler, path, pattern string }{
			{"json", "/handler/x?q=1", "/handler"},
			{"tnet", "/tnet/y", "/tnet"},
			{"json", "/other", "/"},
		} {
			h := s.Handler(t, tc.handler)
			seen := len(h.Messages())
			c := s.Dial(t)
			c.Write("GET " + tc.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
			expectOpen(t, tc.path, o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
			m := h.Wait(t, seen+1)[seen]
			o.message(m)
			if m.Get("PATTERN") != tc.pattern || m.Get("URI") != tc.path {
				t.Errorf("%s: PATTERN %q URI %q, want %q and the request URI", tc.path, m.Get("PATTERN"), m.Get("URI"), tc.pattern)
			}
		}
	})
}

// schemaConf exercises every table the server reads.
const schemaConf = `
static = Dir(base='static/', index_file='index.html', default_ctype='text/plain', cache_ttl=5)
back = Proxy(addr='127.0.0.1', port=8089)
h1 = Handler(send_spec='tcp://127.0.0.1:9997', send_ident='34f9ceee-cd52-4b7f-b197-88bf2f0ec378',
             recv_spec='tcp://127.0.0.1:9996', recv_ident='')
h2 = Handler(send_spec='ipc://run/h2-send', send_ident='aaaa-bbbb-tnet',
             recv_spec='ipc://run/h2-recv', recv_ident='aaaa-bbbb-tnet', protocol='tnetstring', raw_payload=1)
main = Server(
    uuid="f400bf85-4538-4f7a-8908-000000000001",
    access_log="/logs/access.log", error_log="/logs/error.log", pid_file="/run/mongrel2.pid",
    chroot="./", default_host="localhost", name="main", port=6767, bind_addr="127.0.0.1",
    hosts=[
        Host(name="localhost", routes={
            '/': static,
            '/handler': h1,
            '/pat/(\d+)': h1,
            '/tnet': h2,
            '/proxy/': back
        }),
        Host(name="wild", matching="(.*).wild.org", routes={'/': h2})
    ]
)
second = Server(uuid="second-uuid", access_log="/logs/a2.log", error_log="/logs/e2.log",
    pid_file="/run/m2.pid", default_host="other", name="second", port=6768,
    hosts=[Host(name="other", routes={'/': h1})])
settings = {"server.daemonize": 0, "limits.content_length": 1024, "upload.temp_store": "/tmp/up.XXXXXX"}
servers = [main, second]
`

// schemaQueries dump what m2sh wrote: the schema exactly as created (spec
// §7.1) and the rows of every table, without the load timestamp.
var schemaQueries = []string{
	".schema",
	"SELECT * FROM server ORDER BY id",
	"SELECT * FROM host ORDER BY id",
	"SELECT * FROM handler ORDER BY id",
	"SELECT * FROM proxy ORDER BY id",
	"SELECT * FROM directory ORDER BY id",
	"SELECT * FROM route ORDER BY id",
	"SELECT * FROM setting ORDER BY id",
	"SELECT * FROM mimetype ORDER BY id",
	"SELECT * FROM filter ORDER BY id",
	"SELECT * FROM xrequest ORDER BY id",
	"SELECT * FROM statistic",
	"SELECT who, what, location, how, why FROM log ORDER BY id",
}

// TestM2shSchema loads one config with the real m2sh and with ours and
// compares the databases table by table, column types and defaults
// included (spec §7.1).
func TestM2shSchema(t *testing.T) {
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 command not installed")
	}
	compareImpls(t, m2shImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "mongrel2.conf"), []byte(schemaConf), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := harness.Load(impl.M2sh, dir, "mongrel2.conf", "config.sqlite"); err != nil {
			t.Fatalf("load: %v\n%s", err, out)
		}
		for _, q := range schemaQueries {
			cmd := exec.Command(sqlite, "-header", filepath.Join(dir, "config.sqlite"), q)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3 %q: %v\n%s", q, err, out)
			}
			o.fact(q, string(out))
		}
	})
}
