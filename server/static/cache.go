package static

import (
	"os"
	"sync"
	"time"
)

// fileMeta is what a Dir remembers about a served file: where the request
// path resolved to and the parts of the 200 header that depend only on the
// file. It is immutable once built.
type fileMeta struct {
	name  string      // resolved absolute file name
	stat  os.FileInfo // identity and version of the file it was built from
	mtime int64       // Unix seconds, for the conditional headers
	size  int64
	etag  string
	// tail is the 200 header after the Date line: Content-Type through
	// the blank line.
	tail []byte
}

// fresh reports whether st describes the same, unchanged file: same device
// and inode, same size and modification time.
func (m *fileMeta) fresh(st os.FileInfo) bool {
	return os.SameFile(m.stat, st) && m.stat.Size() == st.Size() &&
		m.stat.ModTime().Equal(st.ModTime()) && st.Mode().IsRegular()
}

// newFileMeta builds the metadata for a regular file.
func newFileMeta(name string, st os.FileInfo, ctype string) *fileMeta {
	mtime := st.ModTime().Unix()
	size := st.Size()
	m := &fileMeta{name: name, stat: st, mtime: mtime, size: size}
	// Mongrel2 prints the ETag with "%x-%x" from a time_t and a 64-bit
	// size, so the mtime shows as its low 32 bits; the size is printed in
	// full (Mongrel2 would truncate sizes of 4 GiB and more as well).
	etag := make([]byte, 0, 32)
	etag = appendHex(etag, uint64(uint32(mtime)))
	etag = append(etag, '-')
	etag = appendHex(etag, uint64(size))
	m.etag = string(etag)

	t := make([]byte, 0, 160+len(ctype))
	t = append(t, "Content-Type: "...)
	t = append(t, ctype...)
	t = append(t, "\r\nContent-Length: "...)
	t = appendUint(t, uint64(size))
	t = append(t, "\r\nLast-Modified: "...)
	t = time.Unix(mtime, 0).UTC().AppendFormat(t, httpDate)
	t = append(t, "\r\nETag: "...)
	t = append(t, m.etag...)
	t = append(t, "\r\nServer: "+serverVersion+"\r\n\r\n"...)
	m.tail = t
	return m
}

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
// holds at most max entries. An entry is only a hint: every use opens the
// remembered name and checks the open file against it (fileMeta.fresh), so
// a file that changed, moved or was replaced through a symlink is resolved
// again, and the file sent is always the one that was found inside the base.
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
