package static

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bareku/bareku/protocol/http1"
)

// fuzzPrefixes are the route prefixes FuzzServePath picks from.
var fuzzPrefixes = [...]string{"/", "/pre/", "/exact.txt", "/sub"}

// FuzzServePath serves arbitrary paths and checks that nothing outside the
// base is ever sent (every file outside holds "SECRET"), that every file
// the Dir remembers lies inside the base, and that Serve never panics.
func FuzzServePath(f *testing.F) {
	for _, tc := range serveCases() {
		_, rest, _ := strings.Cut(tc.raw, " ")
		path, _, _ := strings.Cut(rest, " ")
		f.Add(uint8(0), path)
	}
	for _, p := range []string{
		"/../static2/secret.txt", "/%2e%2e/static2/secret.txt", "/%2E%2E%2Fstatic2%2Fsecret.txt",
		"/pre/../static2/secret.txt", "/sub/../../outside/o.txt", "/link.txt", "/sib.txt",
		"/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd", "//", "/%", "/%0", "/%00", "/%2", "/.%2e/", "",
		"/sub/%2e%2e%2f%2e%2e/static2/secret.txt", "/exact.txt/../../static2/secret.txt",
	} {
		f.Add(uint8(0), p)
		f.Add(uint8(1), "/pre"+p)
	}
	root := makeTree(f)
	d := newTestDir(f, root, testMIME())
	realbase, ok := d.resolveBase()
	if !ok {
		f.Fatal("base does not resolve")
	}
	f.Fuzz(func(t *testing.T, which uint8, path string) {
		prefix := fuzzPrefixes[int(which)%len(fuzzPrefixes)]
		req := &http1.Request{Method: []byte("GET"), Path: []byte(path), URI: []byte(path)}
		var out bytes.Buffer
		res, err := d.Serve(&out, req, prefix, testNow)
		if err != nil {
			t.Fatalf("Serve(%q, %q): %v", prefix, path, err)
		}
		switch res.Status {
		case 200, 301, 404:
		default:
			t.Fatalf("Serve(%q, %q): status %d", prefix, path, res.Status)
		}
		if bytes.Contains(out.Bytes(), []byte("SECRET")) {
			t.Fatalf("Serve(%q, %q) sent a file from outside the base:\n%q", prefix, path, out.String())
		}
		d.cache.mu.RLock()
		defer d.cache.mu.RUnlock()
		for _, m := range d.cache.entries {
			if !strings.HasPrefix(m.name, realbase+"/") {
				t.Fatalf("Serve(%q, %q) cached %q, outside %q", prefix, path, m.name, realbase)
			}
		}
	})
}
