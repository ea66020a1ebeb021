package static

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bareku/bareku/internal/testutil"

	"github.com/bareku/bareku/config"
)

const (
	oracle   = testutil.Mongrel2
	oracleSh = testutil.M2sh
)

// oracleConfig is a mongrel2.conf with the routes serveCases uses, all on
// one Dir over static/.
const oracleConfig = `main = Server(
    uuid="static-diff",
    access_log="logs/access.log",
    error_log="logs/error.log",
    chroot="",
    default_host="localhost",
    name="diff",
    pid_file="run/mongrel2.pid",
    bind_addr="127.0.0.1",
    port=%d,
    hosts = [
        Host(name="localhost", routes={
            '/': Dir(base='static/', index_file='index.html', default_ctype='application/octet-stream'),
            '/pre/': Dir(base='static/', index_file='index.html', default_ctype='application/octet-stream'),
            '/exact.txt': Dir(base='static/', index_file='index.html', default_ctype='application/octet-stream')
        })
    ]
)
settings = {"server.daemonize": 0}
servers = [main]
`

// TestDifferential sends every serveCases request to Debian's Mongrel2 and
// to a Dir over the same tree, and compares the bytes (Date normalised) and
// whether the connection was left open. Cases marked as deviations must
// differ: that keeps the list of deliberate differences honest.
//
// The Dir runs twice: with the zero Limits, where the answers must be
// Mongrel2's exactly, and with ranges and precompressed siblings switched
// on, where every request without a Range header must get the same bytes
// once the Accept-Ranges line those add to the 200 header is removed (the
// tree has no precompressed siblings).
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real mongrel2")
	}
	for _, bin := range []string{oracle, oracleSh, "sqlite3"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	root := makeTree(t)
	realAddr, db := startOracle(t, root)
	mime := oracleMIME(t, db)
	d, err := New(&config.Dir{Base: filepath.Join(root, "static") + "/", IndexFile: "index.html", DefaultCType: "application/octet-stream"}, mime, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	oursAddr := serveLoopback(t, d)
	dFeat, err := New(&config.Dir{Base: filepath.Join(root, "static") + "/", IndexFile: "index.html", DefaultCType: "application/octet-stream"},
		mime, Limits{Ranges: true, Precompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	featAddr := serveLoopback(t, dFeat)

	cases := serveCases()
	type answer struct {
		body   []byte
		closed bool
		err    error
	}
	real := make([]answer, len(cases))
	ours := make([]answer, len(cases))
	feat := make([]answer, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Add(3)
		go func() {
			defer wg.Done()
			b, c, err := exchange(featAddr, tc.raw)
			b = bytes.Replace(b, []byte("\r\nAccept-Ranges: bytes\r\n"), []byte("\r\n"), 1)
			feat[i] = answer{b, c, err}
		}()
		go func() {
			defer wg.Done()
			b, c, err := exchange(realAddr, tc.raw)
			real[i] = answer{b, c, err}
		}()
		go func() {
			defer wg.Done()
			b, c, err := exchange(oursAddr, tc.raw)
			ours[i] = answer{b, c, err}
		}()
	}
	wg.Wait()
	for i, tc := range cases {
		r, o, f := real[i], ours[i], feat[i]
		if !strings.Contains(tc.raw, "\r\nRange:") && (f.err != nil || !bytes.Equal(f.body, o.body) || f.closed != o.closed) {
			t.Errorf("%s: with ranges and precompressed siblings on, differs beyond Accept-Ranges (%v)\n off: %q\n  on: %q",
				tc.name, f.err, trunc(string(o.body)), trunc(string(f.body)))
		}
		if r.err != nil || o.err != nil {
			t.Errorf("%s: mongrel2: %v, ours: %v", tc.name, r.err, o.err)
			continue
		}
		same := bytes.Equal(r.body, o.body) && r.closed == o.closed
		switch {
		case tc.deviation == "" && !same:
			t.Errorf("%s: differs from mongrel2\nmongrel2 (closed %v): %q\n    ours (closed %v): %q",
				tc.name, r.closed, trunc(string(r.body)), o.closed, trunc(string(o.body)))
		case tc.deviation != "" && same:
			t.Errorf("%s: listed as a deviation (%s) but mongrel2 answers the same", tc.name, tc.deviation)
		case tc.deviation != "":
			t.Logf("deviation %s: %s\nmongrel2: %q\n    ours: %q", tc.name, tc.deviation, trunc(string(r.body)), trunc(string(o.body)))
		}
		if want := tc.result.Close; o.closed != want {
			t.Errorf("%s: connection closed %v, Result.Close %v", tc.name, o.closed, want)
		}
	}
}

// startOracle loads oracleConfig with m2sh and runs mongrel2 in root on a
// free loopback port until the test ends. It returns the address and the
// config database.
func startOracle(t *testing.T, root string) (string, string) {
	t.Helper()
	port := testutil.FreePort(t)
	addr := testutil.Addr(port)
	// Mongrel2 parses HTTP dates as local time; UTC makes them agree.
	db := testutil.StartMongrel2(t, root, fmt.Sprintf(oracleConfig, port), "static-diff", addr, "TZ=UTC")
	return addr, db
}

// oracleMIME reads the MIME table m2sh wrote, so both servers use the same.
func oracleMIME(t *testing.T, db string) map[string]string {
	t.Helper()
	out, err := exec.Command("sqlite3", "-separator", "\t", db, "SELECT extension, mimetype FROM mimetype").Output()
	if err != nil {
		t.Fatalf("sqlite3: %v", err)
	}
	m := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		ext, typ, ok := strings.Cut(line, "\t")
		if ok {
			m[ext] = typ
		}
	}
	if len(m) < 800 {
		t.Fatalf("MIME table has %d entries", len(m))
	}
	return m
}

// serveLoopback runs d behind a loopback listener: each connection reads
// request heads and answers them with Serve until Serve says to close.
func serveLoopback(t *testing.T, d *Dir) string {
	t.Helper()
	return testutil.ServeTCP(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		for {
			raw, err := readHead(r)
			if err != nil {
				return
			}
			res, err := d.Serve(c, parseRequest(t, raw), routePrefix(raw), time.Now())
			if err != nil || res.Close {
				return
			}
		}
	})
}

// routePrefix routes a request among oracleConfig's routes the way
// Mongrel2 does for the paths serveCases uses: longest matching prefix,
// and "/pre" (shorter than the key "/pre/") goes to "/pre/".
func routePrefix(raw string) string {
	_, rest, _ := strings.Cut(raw, " ")
	path, _, _ := strings.Cut(rest, " ")
	path, _, _ = strings.Cut(path, "?")
	switch {
	case strings.HasPrefix(path, "/exact.txt"):
		return "/exact.txt"
	case strings.HasPrefix(path, "/pre"):
		return "/pre/"
	}
	return "/"
}

func readHead(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		b.WriteString(line)
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// exchange sends one request on a new connection and returns the response
// with the Date normalised, and whether the server closed the connection
// afterwards.
func exchange(addr, raw string) ([]byte, bool, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return nil, false, err
	}
	r := bufio.NewReader(c)
	head, err := readHead(r)
	if err != nil {
		return nil, false, fmt.Errorf("reading head: %w", err)
	}
	n := 0
	if !strings.HasPrefix(raw, "HEAD ") {
		for _, line := range strings.Split(head, "\r\n") {
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, false, fmt.Errorf("reading body: %w", err)
	}
	// Closed or kept open: a keep-alive connection stays silent.
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = r.ReadByte()
	closed := errors.Is(err, io.EOF)
	if err == nil {
		return nil, false, errors.New("bytes after the response")
	}
	return normalizeDate(append([]byte(head), body...)), closed, nil
}
