package static

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A small settled file is served from cached contents; a change to it is
// noticed on the next request.
func TestSmallFileContentsCacheNoticesChanges(t *testing.T) {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	get := func() string {
		seeChanges(d)
		var out bytes.Buffer
		if _, err := d.Serve(&out, parseRequest(t, "GET /data.txt HTTP/1.1\r\n\r\n"), "/", testNow); err != nil {
			t.Fatal(err)
		}
		b := out.Bytes()
		return string(b[bytes.Index(b, []byte("\r\n\r\n"))+4:])
	}
	if got := get(); got != "hello world\n" {
		t.Fatalf("first GET body %q", got)
	}
	m := d.cache.get(append(append([]byte("/"), 0), "/data.txt"...))
	if m == nil || m.body.Load() == nil {
		t.Fatal("contents of a small settled file were not cached")
	}
	if got := get(); got != "hello world\n" {
		t.Fatalf("cached GET body %q", got)
	}
	name := filepath.Join(root, "static", "data.txt")
	if err := os.WriteFile(name, []byte("changed contents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(name, old, old)
	if got := get(); got != "changed contents\n" {
		t.Fatalf("after a change the body is %q", got)
	}
	os.Remove(name)
	seeChanges(d)
	var out bytes.Buffer
	res, _ := d.Serve(&out, parseRequest(t, "GET /data.txt HTTP/1.1\r\n\r\n"), "/", testNow)
	if res.Status != 404 {
		t.Fatalf("removed file: status %d", res.Status)
	}
}
