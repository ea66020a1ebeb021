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
// the Dir remembers lies inside the base, and that Serve never panics. Each
// path is served twice: by a Dir with the zero Limits, and by one serving
// precompressed siblings to a request that accepts them.
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
		"/enc/out.txt", "/enc/both.txt", "/enc/in.txt", "/enc/../../outside/o.br", "/enc/out.txt.br",
	} {
		f.Add(uint8(0), p)
		f.Add(uint8(1), "/pre"+p)
	}
	root := makeFeatureTree(f)
	d := newTestDir(f, root, testMIME())
	enc := newFeatureDir(f, root, Limits{Ranges: true, Precompressed: true})
	realbase, ok := d.resolveBase()
	if !ok {
		f.Fatal("base does not resolve")
	}
	f.Fuzz(func(t *testing.T, which uint8, path string) {
		prefix := fuzzPrefixes[int(which)%len(fuzzPrefixes)]
		req := &http1.Request{Method: []byte("GET"), Path: []byte(path), URI: []byte(path)}
		encReq := &http1.Request{Method: []byte("GET"), Path: []byte(path), URI: []byte(path),
			Headers: []http1.Header{{Name: []byte("accept-encoding"), Value: []byte("br, gzip")}}}
		for _, c := range []struct {
			d   *Dir
			req *http1.Request
		}{{d, req}, {enc, encReq}} {
			var out bytes.Buffer
			res, err := c.d.Serve(&out, c.req, prefix, testNow)
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
			c.d.cache.mu.RLock()
			for _, m := range c.d.cache.entries {
				for _, v := range []*variant{&m.variant, m.br, m.gz} {
					if v != nil && !strings.HasPrefix(v.name, realbase+"/") {
						c.d.cache.mu.RUnlock()
						t.Fatalf("Serve(%q, %q) cached %q, outside %q", prefix, path, v.name, realbase)
					}
				}
			}
			c.d.cache.mu.RUnlock()
		}
	})
}
