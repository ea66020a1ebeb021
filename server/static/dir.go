package static

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
)

// Defaults of the settings a Dir uses (spec §7.4).
const (
	// DefaultSendBuffer is limits.dir_send_buffer.
	DefaultSendBuffer = 16384
	// DefaultMaxPath is limits.dir_max_path.
	DefaultMaxPath = 256
)

// cacheEntries bounds the per-Dir file metadata cache. Mongrel2 kept 32
// records; the cache is invisible on the wire, so it can be larger.
const cacheEntries = 256

// Limits are the settings that shape a Dir. Zero numbers take the
// defaults; the zero Limits is Mongrel2's behaviour, with the features it
// lacks switched off. (The server switches them on unless its settings
// dir.ranges and dir.precompressed are 0.)
type Limits struct {
	// SendBuffer is limits.dir_send_buffer: the block size for bodies that
	// cannot go out with sendfile(2), and the largest response that is
	// assembled and written in one piece.
	SendBuffer int
	// MaxPath is limits.dir_max_path: bases and route prefixes must be
	// shorter than this.
	MaxPath int
	// Ranges is the Bareku setting dir.ranges: answer Range requests
	// with 206 and 416 and send "Accept-Ranges: bytes" with every 200
	// and 206. Off, as in Mongrel2, Range is ignored and the 200 header
	// is Mongrel2's to the byte.
	Ranges bool
	// Precompressed is the Bareku setting dir.precompressed: send the
	// sibling file.br or file.gz of a file when the request's
	// Accept-Encoding accepts that coding, and "Vary: Accept-Encoding"
	// with every answer about a file that has such a sibling. Off, as in
	// Mongrel2, Accept-Encoding is ignored and siblings are never looked
	// for.
	Precompressed bool
}

// Dir serves the files below one base directory. It is safe for concurrent
// use by any number of connections.
type Dir struct {
	base         string
	index        string
	defaultCType string
	mime         map[string]string
	sendBuffer   int
	maxPath      int
	ranges       bool
	precompress  bool

	// realbase is the canonical base, resolved on first use because the
	// server chroots after building its Dirs. A failed resolution is
	// retried on the next request.
	realbase atomic.Pointer[string]
	cache    *fileCache
	scratch  sync.Pool // *scratch

	// watch tells cached entries about changes (watch.go). It is started
	// on first use, so a Dir built for a config that is never served holds
	// no descriptor; nil when inotify is unavailable or the Dir is closed,
	// and every cached hit then costs a stat(2).
	watchMu     sync.Mutex
	watch       *watcher
	watchFailed bool // inotify_init1 failed or Close was called
}

// scratch is the per-request working memory, pooled so a steady stream of
// requests does not allocate for it.
type scratch struct {
	buf    []byte // cache key, file name, response header, small bodies
	parts  []byte // part headers of a multipart/byteranges body
	lr     io.LimitedReader
	specs  [maxRanges]rangeSpec
	ranges [maxRanges]byteRange
	// partEnd[i] is where part i's header ends in parts; the closing
	// delimiter follows the last one.
	partEnd [maxRanges]int
}

// Result says what Serve did, for the connection and the access log.
type Result struct {
	// Status is the HTTP status sent: 200, 301, 304, 404, 405 or 412,
	// and with Limits.Ranges also 206 and 416.
	Status int
	// Size is the number of body bytes sent: the file size for a GET
	// answered 200, the Content-Length of a 206 (multipart framing
	// included), else 0 (canned bodies and the 416's do not count, as in
	// Mongrel2).
	Size int64
	// Close is true when the connection must be closed after the
	// response: always after 405, after the 404 for a path shorter than
	// the route prefix and after a failed write; otherwise only when the
	// request asked for it (HTTP/1.0 or "Connection: close").
	Close bool
	// Log is true when Mongrel2 writes an access-log line for this
	// request: not for 405, the short-path 404 or a failed write.
	Log bool
}

// LogStatus is the status for the access log: Mongrel2 logs its redirects
// with status 0.
func (r Result) LogStatus() int {
	if r.Status == 301 {
		return 0
	}
	return r.Status
}

// LimitsFrom takes a Dir's limits from the server settings.
func LimitsFrom(s *config.Settings) Limits {
	return Limits{SendBuffer: s.DirSendBuffer, MaxPath: s.DirMaxPath, Ranges: s.DirRanges, Precompressed: s.DirPrecompressed}
}

// New builds the Dir for a directory row. mime maps extensions with their
// leading dot (".html") to types; it is shared and must not change
// afterwards. It fails like Mongrel2's Dir_create: base must end with '/'
// and be shorter than limits.dir_max_path, and cache_ttl must not be
// negative. The base is not resolved yet (see Serve).
//
// cache_ttl is accepted and otherwise unused: Mongrel2 trusted a cached file
// record for cache_ttl seconds, while a Dir checks the file against what it
// remembers on every request, or for small files is told of changes by
// inotify (watch.go).
func New(cfg *config.Dir, mime map[string]string, lim Limits) (*Dir, error) {
	if lim.SendBuffer <= 0 {
		lim.SendBuffer = DefaultSendBuffer
	}
	if lim.MaxPath <= 0 {
		lim.MaxPath = DefaultMaxPath
	}
	switch {
	case len(cfg.Base) >= lim.MaxPath:
		return nil, fmt.Errorf("static: directory %d: base %q must be shorter than limits.dir_max_path (%d)", cfg.ID, cfg.Base, lim.MaxPath)
	case len(cfg.Base) == 0 || cfg.Base[len(cfg.Base)-1] != '/':
		return nil, fmt.Errorf("static: directory %d: base %q must end with /", cfg.ID, cfg.Base)
	case cfg.CacheTTL < 0:
		return nil, fmt.Errorf("static: directory %d: cache_ttl %d must not be negative", cfg.ID, cfg.CacheTTL)
	}
	d := &Dir{
		base:         cfg.Base,
		index:        cfg.IndexFile,
		defaultCType: cfg.DefaultCType,
		mime:         mime,
		sendBuffer:   lim.SendBuffer,
		maxPath:      lim.MaxPath,
		ranges:       lim.Ranges,
		precompress:  lim.Precompressed,
		cache:        newFileCache(cacheEntries),
	}
	// Room for a path of PATH_MAX plus the header; small bodies share it
	// with the header when they fit in limits.dir_send_buffer.
	size := max(lim.SendBuffer, 4096+512)
	d.scratch.New = func() any { return &scratch{buf: make([]byte, 0, size)} }
	return d, nil
}

// Serve answers one request routed to this Dir and writes the whole
// response to conn. prefix is the matched route's prefix (the route text
// before its first '('). now is the time for the Date header and for
// If-Modified-Since dates in the future.
//
// When conn is a *net.TCPConn (possibly behind a bufio.Writer) file bodies
// go out with sendfile(2); other writers get blocks of limits.dir_send_buffer.
// Files are never read into memory whole.
//
// The error is non-nil only when writing to conn failed or a file changed
// size while it was being sent; Result.Close is then set.
//
// With Limits.Precompressed, the representation is chosen first: the
// sibling file.br or file.gz next to the resolved file when it is a
// regular file reached without leaving the base and the request's
// Accept-Encoding prefers its coding (see chooseCoding). The conditional
// headers are then evaluated against the chosen representation's ETag and
// mtime. With Limits.Ranges, a GET whose conditions pass and whose Range
// is valid (and whose If-Range, if any, matches) gets a 206 or 416;
// anything else gets the whole representation. Several ranges of a
// precompressed sibling are answered with the whole sibling, since the
// parts of a multipart body cannot carry a Content-Encoding.
//
// Deliberate differences from Mongrel2 1.12.2:
//   - A resolved name must be the base or lie below base + "/"; Mongrel2
//     also served sibling directories sharing the base's name as a prefix.
//   - If-Match is compared with the real ETag, both entity-tag headers
//     accept quoted tags, W/ tags (If-None-Match only) and lists, dates are
//     read as UTC with 64-bit range, and a satisfied If-Unmodified-Since on
//     its own gives 200 instead of 500.
//   - Date is the time of the response, not of the first request for the
//     file.
//   - A name with a decoded NUL byte, and anything that is neither a
//     regular file nor a directory, is 404.
//   - The base is not percent-decoded, and a base that cannot be resolved
//     is retried on the next request.
func (d *Dir) Serve(conn io.Writer, req *http1.Request, prefix string, now time.Time) (Result, error) {
	s := d.scratch.Get().(*scratch)
	defer d.scratch.Put(s)
	path := req.Path
	get := string(req.Method) == "GET"
	if !get && string(req.Method) != "HEAD" {
		return d.canned(conn, s, resp405, Result{Status: 405, Close: true})
	}
	if len(prefix) > len(path) {
		// Reached through the routing rule that lets a path shorter than
		// a route key match it ("/static" for "/static/").
		return d.canned(conn, s, resp404, Result{Status: 404, Close: true})
	}
	keep := Result{Close: req.CloseWanted, Log: true}

	f, meta, kind := d.find(s, prefix, path, now)
	switch kind {
	case foundNothing:
		keep.Status = 404
		return d.canned(conn, s, resp404, keep)
	case foundDir:
		keep.Status = 301
		return d.redirect(conn, s, req, keep)
	}
	vary := d.precompress && meta.hasSibling()
	_, wantsRange := req.Get("range")
	if f == nil && (vary || (d.ranges && wantsRange)) {
		// The cached contents do not cover siblings or ranges.
		var st os.FileInfo
		var err error
		if f, st, err = openRegular(meta.name); err != nil || !meta.fresh(st) {
			if err == nil {
				f.Close()
			}
			meta.stale.Store(true)
			keep.Status = 404
			return d.canned(conn, s, resp404, keep)
		}
	}
	v := &meta.variant
	if vary {
		if ae, ok := req.Get("accept-encoding"); ok {
			if sv := meta.sibling(chooseCoding(ae, meta.br != nil, meta.gz != nil)); sv != nil {
				if sf, err := openVariant(sv); err == nil {
					f.Close()
					f, v = sf, sv
				} else {
					// Changed or gone since it was found: send the file
					// itself and look again on the next request.
					meta.stale.Store(true)
				}
			}
		}
	}
	if f != nil {
		defer f.Close()
	}

	c := requestConditions(req)
	switch c.evaluate(v.etag, v.mtime, now) {
	case condNotModified:
		keep.Status = 304
		if vary {
			return d.canned(conn, s, resp304Vary, keep)
		}
		return d.canned(conn, s, resp304, keep)
	case condFailed:
		keep.Status = 412
		return d.canned(conn, s, resp412, keep)
	}

	if get && d.ranges {
		switch n, what := d.requestRanges(s, req, v, now); {
		case what == rangesUnsatisfiable:
			keep.Status = 416
			return d.unsatisfiable(conn, s, v, vary, now, keep)
		case what == rangesPartial && n == 1:
			keep.Status = 206
			return d.sendRange(conn, s, f, v, s.ranges[0], now, keep)
		case what == rangesPartial && v == &meta.variant:
			// Only the file itself is split into parts: a part cannot
			// carry a Content-Encoding, so several ranges of a sibling
			// get the whole sibling below.
			keep.Status = 206
			return d.sendMultipart(conn, s, f, meta, s.ranges[:n], now, keep)
		}
	}

	keep.Status = 200
	b := append(s.buf[:0], head200...)
	b = now.UTC().AppendFormat(b, httpDate)
	b = append(b, "\r\n"...)
	b = append(b, v.head...)
	if !get {
		s.buf = b[:0]
		return d.write(conn, b, keep)
	}
	if f == nil { // cached contents of a small file
		b = append(b, *meta.body.Load()...)
		s.buf = b[:0]
		keep.Size = v.size
		return d.write(conn, b, keep)
	}
	return d.sendSection(conn, s, f, b, 0, v.size, v.name, keep)
}

// requestRanges decides what the request's Range header asks of the
// representation v and leaves the ranges in s.ranges.
func (d *Dir) requestRanges(s *scratch, req *http1.Request, v *variant, now time.Time) (int, int) {
	rv, ok := req.Get("range")
	if !ok {
		return 0, rangesIgnore
	}
	if ir, ok := req.Get("if-range"); ok && !ifRangeMatches(ir, v.etag, v.mtime, now.Unix()) {
		return 0, rangesIgnore
	}
	n, ok := parseRange(rv, &s.specs)
	if !ok {
		return 0, rangesIgnore
	}
	return resolveRanges(s.specs[:n], v.size, &s.ranges)
}

// sendSection writes the header h (in s.buf) and n bytes of f from offset
// off. When both fit in limits.dir_send_buffer they go out in one write;
// the scratch buffer is never smaller than the send buffer.
func (d *Dir) sendSection(conn io.Writer, s *scratch, f *os.File, h []byte, off, n int64, name string, keep Result) (Result, error) {
	if int64(len(h))+n <= int64(d.sendBuffer) {
		k := len(h)
		b := h[:k+int(n)]
		if _, err := f.ReadAt(b[k:], off); err != nil {
			s.buf = h[:0]
			keep.Close, keep.Log = true, false
			return keep, fmt.Errorf("static: read %s: %w", name, err)
		}
		s.buf = b[:0]
		keep.Size = n
		return d.write(conn, b, keep)
	}
	s.buf = h[:0]
	if _, err := conn.Write(h); err != nil {
		keep.Close, keep.Log = true, false
		return keep, fmt.Errorf("static: write header: %w", err)
	}
	// The file was opened for this request, so it is still at offset 0.
	var sent int64
	var err error
	if off == 0 {
		sent, err = d.sendBody(conn, s, f, n)
	} else {
		sent, err = d.sendFileRange(conn, s, f, off, n)
	}
	keep.Size = sent
	if err != nil {
		keep.Close, keep.Log = true, false
		return keep, fmt.Errorf("static: send %s: %w", name, err)
	}
	return keep, nil
}

// sendRange writes a 206 with one range of v.
func (d *Dir) sendRange(conn io.Writer, s *scratch, f *os.File, v *variant, r byteRange, now time.Time, keep Result) (Result, error) {
	b := append(s.buf[:0], head206...)
	b = now.UTC().AppendFormat(b, httpDate)
	b = append(b, "\r\n"...)
	b = append(b, v.head[:v.ctEnd]...)
	b = append(b, "Content-Length: "...)
	b = appendUint(b, uint64(r.length()))
	b = append(b, "\r\nContent-Range: "...)
	b = appendContentRange(b, r, v.size)
	b = append(b, "\r\n"...)
	b = append(b, v.head[v.tailAt:]...)
	return d.sendSection(conn, s, f, b, r.first, r.length(), v.name, keep)
}

// appendContentRange appends "bytes first-last/size".
func appendContentRange(b []byte, r byteRange, size int64) []byte {
	b = append(b, "bytes "...)
	b = appendUint(b, uint64(r.first))
	b = append(b, '-')
	b = appendUint(b, uint64(r.last))
	b = append(b, '/')
	return appendUint(b, uint64(size))
}

// sendMultipart writes a 206 with a multipart/byteranges body holding
// the ranges rs of the file itself (RFC 9110 §14.6), each part with the
// file's Content-Type and its Content-Range. The boundary is random, so
// no file can be made to contain it.
func (d *Dir) sendMultipart(conn io.Writer, s *scratch, f *os.File, meta *fileMeta, rs []byteRange, now time.Time, keep Result) (Result, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	var boundary [16]byte
	hex.Encode(boundary[:], rnd[:])

	p := s.parts[:0]
	total := int64(0)
	for i, r := range rs {
		if i > 0 {
			p = append(p, "\r\n"...)
		}
		p = append(p, "--"...)
		p = append(p, boundary[:]...)
		p = append(p, "\r\nContent-Type: "...)
		p = append(p, meta.ctype...)
		p = append(p, "\r\nContent-Range: "...)
		p = appendContentRange(p, r, meta.size)
		p = append(p, "\r\n\r\n"...)
		s.partEnd[i] = len(p)
		total += r.length()
	}
	p = append(p, "\r\n--"...)
	p = append(p, boundary[:]...)
	p = append(p, "--\r\n"...)
	s.parts = p
	total += int64(len(p))

	b := append(s.buf[:0], head206...)
	b = now.UTC().AppendFormat(b, httpDate)
	b = append(b, "\r\nContent-Type: multipart/byteranges; boundary="...)
	b = append(b, boundary[:]...)
	b = append(b, "\r\nContent-Length: "...)
	b = appendUint(b, uint64(total))
	b = append(b, "\r\n"...)
	b = append(b, meta.head[meta.tailAt:]...)
	b = append(b, p[:s.partEnd[0]]...)
	s.buf = b[:0]
	fail := func(err error) (Result, error) {
		keep.Close, keep.Log = true, false
		return keep, fmt.Errorf("static: send %s: %w", meta.name, err)
	}
	if _, err := conn.Write(b); err != nil {
		return fail(err)
	}
	keep.Size = int64(s.partEnd[0])
	for i, r := range rs {
		if i > 0 {
			if _, err := conn.Write(p[s.partEnd[i-1]:s.partEnd[i]]); err != nil {
				return fail(err)
			}
			keep.Size += int64(s.partEnd[i] - s.partEnd[i-1])
		}
		n, err := d.sendFileRange(conn, s, f, r.first, r.length())
		keep.Size += n
		if err != nil {
			return fail(err)
		}
	}
	if _, err := conn.Write(p[s.partEnd[len(rs)-1]:]); err != nil {
		return fail(err)
	}
	keep.Size = total
	return keep, nil
}

// unsatisfiable writes the 416 for a Range none of whose ranges lies in
// the representation.
func (d *Dir) unsatisfiable(conn io.Writer, s *scratch, v *variant, vary bool, now time.Time, keep Result) (Result, error) {
	b := append(s.buf[:0], head416...)
	b = now.UTC().AppendFormat(b, httpDate)
	b = append(b, "\r\nContent-Range: bytes */"...)
	b = appendUint(b, uint64(v.size))
	b = append(b, "\r\n"...)
	if vary {
		b = append(b, "Vary: Accept-Encoding\r\n"...)
	}
	b = append(b, tail416...)
	s.buf = b[:0]
	return d.write(conn, b, keep)
}

// sendFileRange sends n bytes of f from offset off. The offset is set with
// Seek rather than read through an io.SectionReader so that the copy
// below still sees the *os.File and the kernel can do it with sendfile(2).
func (d *Dir) sendFileRange(conn io.Writer, s *scratch, f *os.File, off, n int64) (int64, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return d.sendBody(conn, s, f, n)
}

// sendBody copies exactly size bytes of f to conn. Through an
// io.LimitedReader over the *os.File, a *net.TCPConn's ReadFrom uses
// sendfile(2); anything else gets the scratch buffer as copy buffer.
func (d *Dir) sendBody(conn io.Writer, s *scratch, f *os.File, size int64) (int64, error) {
	s.lr = io.LimitedReader{R: f, N: size}
	defer func() { s.lr.R = nil }()
	n, err := io.CopyBuffer(conn, &s.lr, s.buf[:d.sendBuffer])
	if err == nil && n < size {
		err = fmt.Errorf("file shrank: sent %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
	}
	return n, err
}

// canned writes one of the fixed responses.
func (d *Dir) canned(conn io.Writer, s *scratch, resp string, r Result) (Result, error) {
	return d.write(conn, append(s.buf[:0], resp...), r)
}

// redirect writes the 301 for a directory requested without its trailing
// slash: "//" + the raw Host header + the URI (query included) + "/".
func (d *Dir) redirect(conn io.Writer, s *scratch, req *http1.Request, r Result) (Result, error) {
	b := append(s.buf[:0], redirectStart...)
	if req.Host != nil {
		b = append(b, req.Host...)
	} else {
		b = append(b, nullHost...)
	}
	b = append(b, req.URI...)
	b = append(b, redirectEnd...)
	s.buf = b[:0]
	return d.write(conn, b, r)
}

func (d *Dir) write(conn io.Writer, b []byte, r Result) (Result, error) {
	if _, err := conn.Write(b); err != nil {
		r.Close, r.Log, r.Size = true, false, 0
		return r, fmt.Errorf("static: write %d response: %w", r.Status, err)
	}
	return r, nil
}

// What find found.
const (
	foundNothing = iota
	foundDir
	foundFile
)

// find maps the request onto the file system (spec §5) and, for a regular
// file, returns it opened together with its metadata.
func (d *Dir) find(s *scratch, prefix string, path []byte, now time.Time) (*os.File, *fileMeta, int) {
	// Mongrel2 refuses such routes per request, with a 404.
	if len(prefix) == 0 || prefix[0] != '/' || len(prefix) >= d.maxPath {
		return nil, nil, foundNothing
	}
	key := append(s.buf[:0], prefix...)
	key = append(key, 0)
	key = append(key, path...)
	s.buf = key[:0]
	if m := d.cache.get(key); m != nil {
		if m.body.Load() != nil && !m.stale.Load() && m.checked.Load().trusted(now) {
			// Contents cached and nothing changed near the file since it
			// was last checked: the caller opens the file only if it
			// needs it.
			return nil, m, foundFile
		}
		if !m.stale.Load() && d.siblingsUnchanged(m) {
			if m.body.Load() != nil {
				// Contents cached: a stat proves they are still current.
				// The watches are armed first, so a change after the stat
				// is reported.
				var marks []dirMark
				last := m.checked.Load()
				rearm := m.dirs != nil && (last == nil || now.Sub(last.at) >= rearmEvery || now.Before(last.at))
				if rearm {
					marks = d.mark(m.dirs)
				}
				if st, err := os.Stat(m.name); err == nil && m.fresh(st) {
					if marks != nil {
						m.checked.Store(&check{at: now, marks: marks})
					}
					return nil, m, foundFile
				}
			} else if f, st, err := openRegular(m.name); err == nil && m.fresh(st) {
				m.keepBody(f, time.Now())
				return f, m, foundFile
			} else if err == nil {
				f.Close()
			}
		}
		d.cache.drop(key)
	}

	realbase, ok := d.resolveBase()
	if !ok {
		return nil, nil, foundNothing
	}
	// The name is built after the key in the same buffer.
	target, ok := appendTarget(key[len(key):], realbase, prefix, path, d.index)
	s.buf = key[:0]
	if !ok {
		return nil, nil, foundNothing
	}
	name, err := realpath(string(target))
	if err != nil || !within(name, realbase) {
		return nil, nil, foundNothing
	}
	f, st, err := openBeneath(realbase, name)
	if err != nil {
		// Mongrel2 decides "directory" with stat(2), which works without
		// read permission where open(2) does not.
		if st, serr := os.Stat(name); serr == nil && st.IsDir() {
			return nil, nil, foundDir
		}
		return nil, nil, foundNothing
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, nil, foundDir
	case !st.Mode().IsRegular():
		// Devices, FIFOs and sockets are not served; Mongrel2 would have
		// tried to read them.
		f.Close()
		return nil, nil, foundNothing
	}
	m := d.newMeta(realbase, name, st)
	if name == string(target) {
		// Reached without symlinks: the directories on the way are all
		// that can change it. (A symlink's own directory may lie
		// elsewhere, so such entries are always checked with stat.)
		m.dirs = watchDirs(realbase, name)
	}
	m.keepBody(f, time.Now())
	d.cache.put(key, m)
	return f, m, foundFile
}

// keepBody caches the contents of a small, settled file. A file modified
// within the last second may still be being written, so it is not kept
// (the clock of the file system is coarse).
func (m *fileMeta) keepBody(f *os.File, now time.Time) {
	size := m.stat.Size()
	if size > smallFileMax || now.Sub(m.stat.ModTime()) < time.Second || m.body.Load() != nil {
		return
	}
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); int64(n) != size || (err != nil && err != io.EOF) {
		return
	}
	m.body.Store(&b)
}

// newMeta builds what the cache remembers about the regular file name:
// its header and, when precompressed siblings are served, the siblings
// found next to it.
func (d *Dir) newMeta(realbase, name string, st os.FileInfo) *fileMeta {
	m := &fileMeta{ctype: contentType(name, d.mime, d.defaultCType)}
	if d.precompress {
		m.dirName = name[:strings.LastIndexByte(name, '/')]
		if m.dirName == "" {
			m.dirName = "/"
		}
		// The directory first: a sibling created after this stat
		// changes its mtime and so is noticed on the next request.
		if dst, err := os.Stat(m.dirName); err == nil {
			m.dir = dst
			m.dirSettled = time.Since(dst.ModTime()) > time.Second
			m.br = d.findSibling(realbase, name, ".br", "br", m.ctype)
			m.gz = d.findSibling(realbase, name, ".gz", "gzip", m.ctype)
		}
	}
	m.variant = newVariant(name, st, m.ctype, headOptions{acceptRanges: d.ranges, vary: m.hasSibling()})
	return m
}

// findSibling looks for the precompressed sibling name+suffix. Only a
// regular file reached without leaving the base counts: a symlink out of
// the base is not followed.
func (d *Dir) findSibling(realbase, name, suffix, coding, ctype string) *variant {
	f, st, err := openBeneath(realbase, name+suffix)
	if err != nil {
		return nil
	}
	f.Close()
	if !st.Mode().IsRegular() {
		return nil
	}
	v := newVariant(name+suffix, st, ctype, headOptions{coding: coding, acceptRanges: d.ranges, vary: true})
	return &v
}

// siblingsUnchanged reports whether the directory of a cached file still
// holds the same names, so that the siblings remembered for it are still
// the ones there are. It is always true when siblings are not served.
func (d *Dir) siblingsUnchanged(m *fileMeta) bool {
	if !d.precompress {
		return true
	}
	if m.dir == nil || !m.dirSettled {
		return false
	}
	st, err := os.Stat(m.dirName)
	return err == nil && os.SameFile(st, m.dir) && st.ModTime().Equal(m.dir.ModTime())
}

// sibling returns the sibling for a coding, nil for the file itself.
func (m *fileMeta) sibling(coding int) *variant {
	switch coding {
	case codingBr:
		return m.br
	case codingGzip:
		return m.gz
	}
	return nil
}

// openVariant opens a remembered representation by its name and checks
// that it is still the file that was found.
func openVariant(v *variant) (*os.File, error) {
	f, st, err := openRegular(v.name)
	if err != nil {
		return nil, err
	}
	if !v.fresh(st) {
		f.Close()
		return nil, fmt.Errorf("static: %s changed", v.name)
	}
	return f, nil
}

// mark arms the watches on dirs, starting the watcher on first use; nil
// when there is none.
func (d *Dir) mark(dirs []string) []dirMark {
	d.watchMu.Lock()
	if d.watch == nil && !d.watchFailed {
		w, err := newWatcher()
		d.watch, d.watchFailed = w, err != nil
	}
	w := d.watch
	d.watchMu.Unlock()
	if w == nil {
		return nil
	}
	return w.mark(dirs)
}

// Close stops noticing file changes through inotify and releases its
// descriptor. A closed Dir still serves correctly (requests in progress
// when a reload replaces it finish normally), at the cost of a stat(2) per
// cached hit.
func (d *Dir) Close() error {
	d.watchMu.Lock()
	w := d.watch
	d.watch, d.watchFailed = nil, true
	d.watchMu.Unlock()
	if w == nil {
		return nil
	}
	return w.close()
}

// resolveBase returns the canonical base, resolving it on first use.
func (d *Dir) resolveBase() (string, bool) {
	if p := d.realbase.Load(); p != nil {
		return *p, true
	}
	rb, err := canonicalBase(d.base)
	if err != nil {
		return "", false
	}
	d.realbase.Store(&rb)
	return rb, true
}

// openBeneath opens name, which realpath placed inside realbase, without
// letting the open leave realbase: should a directory on the way be
// swapped for a symlink out of the base between the realpath walk and the
// open, the open fails instead of following it. The file found this way is
// the one the cache later holds every reopen to (fileMeta.fresh).
func openBeneath(realbase, name string) (*os.File, os.FileInfo, error) {
	root, err := os.OpenRoot(realbase)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	rel := strings.TrimPrefix(name[len(realbase):], "/")
	if rel == "" {
		rel = "."
	}
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	return statOpen(f)
}

// openRegular opens name for reading and stats the open descriptor.
// O_NONBLOCK keeps a FIFO that was put in place of a file from blocking the
// open; it changes nothing for regular files.
func openRegular(name string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	return statOpen(f)
}

// statOpen stats an open file, closing it on failure.
func statOpen(f *os.File) (*os.File, os.FileInfo, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// requestConditions collects the conditional headers. Unparsable dates
// are ignored, as in Mongrel2.
func requestConditions(req *http1.Request) conditions {
	var c conditions
	c.ifMatch, c.hasIfMatch = req.Get("if-match")
	c.ifNoneMatch, c.hasIfNoneMatch = req.Get("if-none-match")
	if v, ok := req.Get("if-modified-since"); ok {
		c.ifModifiedSince, c.hasModifiedSince = parseHTTPDate(v)
	}
	if v, ok := req.Get("if-unmodified-since"); ok {
		c.ifUnmodSince, c.hasUnmodSince = parseHTTPDate(v)
	}
	return c
}
