package static

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// watchFixture serves GETs from a fresh tree with a clock the test moves.
type watchFixture struct {
	t    *testing.T
	root string
	d    *Dir
	now  time.Time
}

func newWatchFixture(t *testing.T) *watchFixture {
	root := makeTree(t)
	d := newTestDir(t, root, testMIME())
	t.Cleanup(func() { d.Close() })
	return &watchFixture{t: t, root: root, d: d, now: time.Now()}
}

// body GETs path after the clock moved by step and returns the body, or
// "404" for a Not Found.
func (f *watchFixture) body(path string, step time.Duration) string {
	f.t.Helper()
	f.now = f.now.Add(step)
	var out bytes.Buffer
	res, err := f.d.Serve(&out, parseRequest(f.t, get(path)), "/", f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	if res.Status == 404 {
		return "404"
	}
	b := out.Bytes()
	return string(b[bytes.Index(b, []byte("\r\n\r\n"))+4:])
}

// write replaces the contents of a file of the tree in place, keeping it
// old enough for its contents to be cached.
func (f *watchFixture) write(name, body string) {
	f.t.Helper()
	writeFiles(f.t, f.root, map[string]string{name: body})
}

// trusted reports whether the cached entry of path would be served without
// a stat at the fixture's clock.
func (f *watchFixture) trusted(path string) bool {
	m := f.d.cache.get(append([]byte("/\x00"), path...))
	return m != nil && m.checked.Load().trusted(f.now)
}

// TestWatchNoticesChangesAtOnce: a trusted entry is given up as soon as
// the kernel reports a change in a directory on the file's path, long
// before trustFor runs out.
func TestWatchNoticesChangesAtOnce(t *testing.T) {
	f := newWatchFixture(t)
	for i, want := range []string{"deep\n", "deep\n", "deep\n"} {
		if got := f.body("/sub/deep.txt", time.Millisecond); got != want {
			t.Fatalf("request %d: %q", i, got)
		}
	}
	if !f.trusted("/sub/deep.txt") {
		t.Fatal("an unchanged file checked just now is not trusted")
	}

	f.write("static/sub/deep.txt", "rewritten in place\n")
	seeChanges(f.d)
	if f.trusted("/sub/deep.txt") {
		t.Fatal("still trusted after its file changed")
	}
	if got := f.body("/sub/deep.txt", time.Millisecond); got != "rewritten in place\n" {
		t.Fatalf("after an in-place write: %q", got)
	}

	// A change in a directory higher up: the parent is renamed away and a
	// new one takes its name.
	sub := filepath.Join(f.root, "static", "sub")
	f.body("/sub/deep.txt", rearmEvery) // checked, watches armed
	if !f.trusted("/sub/deep.txt") {
		t.Fatal("not trusted after a check")
	}
	if err := os.Rename(sub, sub+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	f.write("static/sub/deep.txt", "a new directory\n")
	seeChanges(f.d)
	if got := f.body("/sub/deep.txt", time.Millisecond); got != "a new directory\n" {
		t.Fatalf("after the directory was replaced: %q", got)
	}
	// The watches must now follow the new directory, not the old one
	// under its new name.
	f.body("/sub/deep.txt", time.Millisecond)
	f.body("/sub/deep.txt", rearmEvery)
	if !f.trusted("/sub/deep.txt") {
		t.Fatal("the new file is not trusted after a check")
	}
	f.write("static/sub.old/deep.txt", "the old directory\n")
	seeChanges(f.d)
	if !f.trusted("/sub/deep.txt") {
		t.Fatal("a change in the renamed-away directory is taken for one in the new")
	}
	f.write("static/sub/deep.txt", "changed again\n")
	seeChanges(f.d)
	if got := f.body("/sub/deep.txt", time.Millisecond); got != "changed again\n" {
		t.Fatalf("a change in the new directory: %q", got)
	}

	if err := os.Remove(filepath.Join(sub, "deep.txt")); err != nil {
		t.Fatal(err)
	}
	seeChanges(f.d)
	if got := f.body("/sub/deep.txt", time.Millisecond); got != "404" {
		t.Fatalf("after removal: %q", got)
	}
}

// TestWatchTrustIsBounded: a change inotify does not report to the
// directories on the path (here, a write through a hard link elsewhere) is
// served stale for at most trustFor.
func TestWatchTrustIsBounded(t *testing.T) {
	f := newWatchFixture(t)
	f.body("/data.txt", 0)
	f.body("/data.txt", time.Millisecond)
	if !f.trusted("/data.txt") {
		t.Fatal("not trusted after a check")
	}
	elsewhere := filepath.Join(f.root, "outside", "hardlink")
	if err := os.Link(filepath.Join(f.root, "static", "data.txt"), elsewhere); err != nil {
		t.Fatal(err)
	}
	seeChanges(f.d) // the link count changed: an attribute event
	f.body("/data.txt", time.Millisecond)
	f.body("/data.txt", rearmEvery)
	if !f.trusted("/data.txt") {
		t.Fatal("not trusted after a check")
	}
	f.write("outside/hardlink", "written through the other name\n")
	seeChanges(f.d)
	if !f.trusted("/data.txt") {
		// The kernel told after all: the bound is not exercised here.
		t.Skip("this kernel reports writes through another link to the file's directory")
	}
	if got := f.body("/data.txt", trustFor/2); got != "hello world\n" {
		t.Fatalf("within trustFor: %q", got)
	}
	if got := f.body("/data.txt", trustFor/2); got != "written through the other name\n" {
		t.Fatalf("after trustFor: %q", got)
	}
}

// TestWatchSkipsSymlinkedFiles: a file reached through a symlink is
// checked with stat on every request, since the link's own directory is
// not watched.
func TestWatchSkipsSymlinkedFiles(t *testing.T) {
	f := newWatchFixture(t)
	for range 3 {
		if got := f.body("/inlink.txt", rearmEvery); got != "hello world\n" {
			t.Fatalf("through the link: %q", got)
		}
	}
	if f.trusted("/inlink.txt") {
		t.Fatal("a file reached through a symlink is trusted")
	}
}

// TestWatchAfterClose: a closed Dir trusts nothing and still serves every
// change at once.
func TestWatchAfterClose(t *testing.T) {
	f := newWatchFixture(t)
	f.body("/data.txt", 0)
	f.body("/data.txt", time.Millisecond)
	if !f.trusted("/data.txt") {
		t.Fatal("not trusted after a check")
	}
	if err := f.d.Close(); err != nil {
		t.Fatal(err)
	}
	if f.trusted("/data.txt") {
		t.Fatal("trusted after Close")
	}
	f.write("static/data.txt", "after Close()\n")
	if got := f.body("/data.txt", time.Millisecond); got != "after Close()\n" {
		t.Fatalf("after close: %q", got)
	}
	if f.d.Close() != nil {
		t.Fatal("a second Close failed")
	}
}

func TestWatchDirs(t *testing.T) {
	for _, c := range []struct {
		base, name string
		want       []string
	}{
		{"/srv/www", "/srv/www/a.txt", []string{"/srv/www"}},
		{"/srv/www", "/srv/www/a/b/c.txt", []string{"/srv/www", "/srv/www/a", "/srv/www/a/b"}},
		{"/", "/a.txt", []string{"/"}},
		{"/", "/a/b.txt", []string{"/", "/a"}},
	} {
		got := watchDirs(c.base, c.name)
		if len(got) != len(c.want) {
			t.Errorf("watchDirs(%q, %q) = %q, want %q", c.base, c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("watchDirs(%q, %q) = %q, want %q", c.base, c.name, got, c.want)
				break
			}
		}
	}
}
