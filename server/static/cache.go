package static

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// variant is one representation of a served file: the file itself or a
// precompressed sibling. It is immutable once built.
type variant struct {
	name  string      // absolute file name to reopen it by
	stat  os.FileInfo // identity and version of the file it was built from
	mtime int64       // Unix seconds, for the conditional headers
	size  int64
	etag  string
	// head is the 200 header after the Date line: Content-Type through
	// the blank line. head[:ctEnd] is the Content-Type line and the
	// Content-Encoding line if any; head[tailAt:] runs from Last-Modified
	// to the end. Partial responses put their own lines between the two.
	head          []byte
	ctEnd, tailAt int
}

// fresh reports whether st describes the same, unchanged file: same device
// and inode, same size and modification time.
func (v *variant) fresh(st os.FileInfo) bool {
	return os.SameFile(v.stat, st) && v.stat.Size() == st.Size() &&
		v.stat.ModTime().Equal(st.ModTime()) && st.Mode().IsRegular()
}

// headOptions say which of the header lines beyond Mongrel2's a variant's
// header carries.
type headOptions struct {
	coding       string // Content-Encoding value, "" for none
	acceptRanges bool   // Accept-Ranges: bytes
	vary         bool   // Vary: Accept-Encoding
}

// newVariant builds the variant for a regular file.
func newVariant(name string, st os.FileInfo, ctype string, o headOptions) variant {
	mtime := st.ModTime().Unix()
	size := st.Size()
	v := variant{name: name, stat: st, mtime: mtime, size: size}
	// Mongrel2 prints the ETag with "%x-%x" from a time_t and a 64-bit
	// size, so the mtime shows as its low 32 bits; the size is printed in
	// full (Mongrel2 would truncate sizes of 4 GiB and more as well). A
	// precompressed sibling's tag gets its coding appended, so it can
	// never equal the tag of the file itself.
	etag := make([]byte, 0, 40)
	etag = appendHex(etag, uint64(uint32(mtime)))
	etag = append(etag, '-')
	etag = appendHex(etag, uint64(size))
	switch o.coding {
	case "br":
		etag = append(etag, "-br"...)
	case "gzip":
		etag = append(etag, "-gz"...)
	}
	v.etag = string(etag)

	t := make([]byte, 0, 220+len(ctype))
	t = append(t, "Content-Type: "...)
	t = append(t, ctype...)
	t = append(t, "\r\n"...)
	if o.coding != "" {
		t = append(t, "Content-Encoding: "...)
		t = append(t, o.coding...)
		t = append(t, "\r\n"...)
	}
	v.ctEnd = len(t)
	t = append(t, "Content-Length: "...)
	t = appendUint(t, uint64(size))
	t = append(t, "\r\n"...)
	v.tailAt = len(t)
	t = append(t, "Last-Modified: "...)
	t = time.Unix(mtime, 0).UTC().AppendFormat(t, httpDate)
	t = append(t, "\r\nETag: "...)
	t = append(t, v.etag...)
	t = append(t, "\r\n"...)
	if o.acceptRanges {
		t = append(t, "Accept-Ranges: bytes\r\n"...)
	}
	if o.vary {
		t = append(t, "Vary: Accept-Encoding\r\n"...)
	}
	t = append(t, "Server: "+serverVersion+"\r\n\r\n"...)
	v.head = t
	return v
}

// fileMeta is what a Dir remembers about a request path: the file it
// resolved to and, when precompressed siblings are served, the siblings
// found next to it. Apart from stale it is immutable once built.
type fileMeta struct {
	variant        // the file itself
	ctype   string // its Content-Type, also that of its siblings
	br, gz  *variant
	// dir and dirName are the directory holding the file, remembered when
	// siblings are looked for: creating, removing or renaming a sibling
	// changes the directory's mtime, which is how a cached entry notices
	// a sibling that appeared or went away.
	dir     os.FileInfo
	dirName string
	// dirSettled is true when the directory's mtime was over a second old
	// when the entry was built. File systems keep coarse clocks: a sibling
	// created within the same tick as the change before it leaves the
	// mtime as it was, so a younger mtime proves nothing and the entry is
	// not reused.
	dirSettled bool
	// stale is set when a sibling no longer matches what was remembered;
	// the next request resolves the path again.
	stale atomic.Bool
	// body holds the contents of a small file (at most smallFileMax
	// bytes, and last modified over a second before it was read), so a
	// cached hit costs at most one stat(2) instead of open, fstat, read
	// and close.
	body atomic.Pointer[[]byte]
	// dirs are the directories from the base down to the file, watched
	// to notice changes without a stat (watch.go); nil for a file reached
	// through a symlink. checked is the last stat that found the file
	// unchanged, with the watches' counts at the time.
	dirs    []string
	checked atomic.Pointer[check]
}

// smallFileMax is the largest file whose contents the cache keeps.
const smallFileMax = 16 << 10

// hasSibling reports whether a precompressed sibling was found.
func (m *fileMeta) hasSibling() bool { return m.br != nil || m.gz != nil }

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// fileCache maps a route prefix and request path to the metadata of the
// file it resolved to, so a repeated request skips the realpath walk. It
// holds at most max entries. An entry is only a hint: a use opens (or, for
// cached contents, stats) the remembered name and checks the file against
// it (variant.fresh), so a file that changed, moved or was replaced through
// a symlink is resolved again, and the file sent is always the one that was
// found inside the base. Cached contents are also served on the word of the
// watcher (watch.go) for up to a second between checks.
// Siblings are checked the same way when one is sent, and their presence
// through the directory's mtime (fileMeta.dir).
//
// Open descriptors are not kept between requests. Telling whether the name
// still leads to the same file takes a stat(2) of the name either way, so a
// kept descriptor would save only the open(2) and close(2); in exchange it
// would have to be reference-counted against the requests sending from it,
// would pin the disk space of deleted files until evicted, and would hold
// up to max descriptors per Dir out of the server's limit.
type fileCache struct {
	mu      sync.RWMutex
	entries map[string]*fileMeta
	max     int
}

func newFileCache(max int) *fileCache {
	return &fileCache{entries: make(map[string]*fileMeta, max), max: max}
}

// get looks key up without allocating.
func (c *fileCache) get(key []byte) *fileMeta {
	c.mu.RLock()
	m := c.entries[string(key)]
	c.mu.RUnlock()
	return m
}

// put stores m under key, evicting an arbitrary entry when full.
func (c *fileCache) put(key []byte, m *fileMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[string(key)]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[string(key)] = m
}

// drop forgets key.
func (c *fileCache) drop(key []byte) {
	c.mu.Lock()
	delete(c.entries, string(key))
	c.mu.Unlock()
}
