package static

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
)

// fileTime is the mtime of every file in the test tree: 0x6b0994e1, the
// spec's example, which prints as "Fri, 27 Nov 2026 14:34:09 GMT".
var fileTime = time.Unix(0x6b0994e1, 0)

// testNow is the clock for Date headers: a little after fileTime.
var testNow = time.Date(2026, 11, 27, 14, 36, 19, 0, time.UTC)

// bigSize is larger than the send buffer, so the body is streamed.
const bigSize = 100_000

// makeTree builds the test tree under a new temporary directory and
// returns that directory. The base is root/static.
//
//	static/data.txt        "hello world\n" (12 bytes, ETag 6b0994e1-c)
//	static/index.html      "<h1>hi</h1>\n"
//	static/f.txt           15 bytes, ETag 6b0994e1-f (has an 'f')
//	static/a b.txt         name with a space
//	static/x%20y.txt       name with a literal %20
//	static/é.txt           UTF-8 name
//	static/page.HTML, static/arch.tar.gz, static/noext, static/exact.txt
//	static/big.bin         bigSize bytes
//	static/inlink.txt      -> data.txt (inside the base)
//	static/link.txt        -> ../outside/o.txt (out of the base)
//	static/sib.txt         -> ../static2/secret.txt (into the sibling)
//	static/sub/index.html, static/sub/deep.txt
//	static/noindex/file.css (no index file)
//	static2/secret.txt     sibling directory sharing the base name prefix
//	outside/o.txt
func makeTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"static/data.txt":         "hello world\n",
		"static/index.html":       "<h1>hi</h1>\n",
		"static/f.txt":            "fifteen bytes!\n",
		"static/a b.txt":          "space\n",
		"static/x%20y.txt":        "percent\n",
		"static/é.txt":            "utf8\n",
		"static/page.HTML":        "<p>upper</p>\n",
		"static/arch.tar.gz":      "not really\n",
		"static/noext":            "plain\n",
		"static/exact.txt":        "exact\n",
		"static/big.bin":          strings.Repeat("0123456789", bigSize/10),
		"static/sub/index.html":   "sub index\n",
		"static/sub/deep.txt":     "deep\n",
		"static/noindex/file.css": "b{}\n",
		"static2/secret.txt":      "SECRET\n",
		"outside/o.txt":           "SECRET outside\n",
	}
	writeFiles(t, root, files)
	symlinks(t, root, map[string]string{
		"static/inlink.txt": "data.txt",
		"static/link.txt":   "../outside/o.txt",
		"static/sib.txt":    "../static2/secret.txt",
	})
	return root
}

// writeFiles writes each file (name below root: contents), creating
// directories as needed, and dates it fileTime.
func writeFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, fileTime, fileTime); err != nil {
			t.Fatal(err)
		}
	}
}

// symlinks creates each link (name below root: target).
func symlinks(t testing.TB, root string, links map[string]string) {
	t.Helper()
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// testMIME is a small MIME table in the loader's format.
func testMIME() map[string]string {
	return map[string]string{
		".txt":    "text/plain",
		".html":   "text/html",
		".css":    "text/css",
		".gz":     "application/x-gzip",
		".tar.gz": "application/x-tgz",
		".pcf.Z":  "application/x-font",
	}
}

func newTestDir(t testing.TB, root string, mime map[string]string) *Dir {
	t.Helper()
	d, err := New(&config.Dir{ID: 1, Base: filepath.Join(root, "static") + "/", IndexFile: "index.html", DefaultCType: "application/octet-stream"}, mime, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// parseRequest parses a raw request head with the HTTP/1 parser.
func parseRequest(t testing.TB, raw string) *http1.Request {
	t.Helper()
	req := new(http1.Request)
	n, err := req.Parse([]byte(raw), http1.Options{})
	if err != nil || n != len(raw) {
		t.Fatalf("parsing %q: consumed %d of %d: %v", raw, n, len(raw), err)
	}
	return req
}

// normalizeDate replaces the value of the Date header (the only part of a
// response that depends on the clock) with a fixed string.
func normalizeDate(b []byte) []byte {
	const key = "\r\nDate: "
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return b
	}
	j := bytes.Index(b[i+len(key):], []byte("\r\n"))
	if j < 0 {
		return b
	}
	out := append([]byte{}, b[:i+len(key)]...)
	out = append(out, "<date>"...)
	return append(out, b[i+len(key)+j:]...)
}

// seeChanges has d's watcher count every file change made so far. The
// watcher does so by itself a moment after each change; a test that
// changes files and asks at once calls this in between, as a request
// arriving that moment later would find.
func seeChanges(d *Dir) {
	d.watchMu.Lock()
	w := d.watch
	d.watchMu.Unlock()
	if w != nil {
		w.drain()
	}
}
