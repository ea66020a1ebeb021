package static

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A cached small file is served without a stat(2) of its name while the
// kernel reports no change in any directory on its path. inotify(7) is told
// about creations, removals, renames, writes and attribute changes of the
// entries of a watched directory, which covers everything that can change
// what a name resolves to or what the file holds, with three exceptions:
// writes through a hard link in another directory, writes through a shared
// mapping, and changes made on another machine (network file systems). For
// those, a cached entry is checked with stat(2) again once it has been
// trusted for trustFor.
const (
	// trustFor bounds how long an entry is served on the watcher's word
	// alone.
	trustFor = time.Second
	// rearmEvery bounds how often an entry re-arms its watches after a
	// change nearby: a directory that changes all the time (a log file
	// beside the served files) costs one stat(2) per request, as without
	// a watcher, rather than a stat plus a watch per directory.
	rearmEvery = 100 * time.Millisecond
)

// watchMask is what a watched directory reports: anything that can change
// which file a name in it leads to or what that file holds, and the end of
// the directory itself.
const watchMask = syscall.IN_ATTRIB | syscall.IN_CLOSE_WRITE | syscall.IN_MODIFY |
	syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO |
	syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF | syscall.IN_ONLYDIR

// watcher counts the inotify events of the directories that cached files
// were reached through. It owns one inotify descriptor and one goroutine
// that reads it.
type watcher struct {
	file *os.File // the non-blocking inotify descriptor

	// mu serialises reading events with arming watches, so an event is
	// counted before a later mark reads the count, and sync sees every
	// event queued before it was called.
	mu     sync.Mutex
	fd     int                   // file's descriptor, valid while !closed
	dirs   map[int32]*watchedDir // by watch descriptor
	buf    []byte
	closed bool
}

// watchedDir is one watched directory. Its count is also bumped when its
// watch ends, since no further event will be seen.
type watchedDir struct {
	events atomic.Uint64
}

// dirMark is the event count of a watched directory when a file below it
// was last proven unchanged.
type dirMark struct {
	dir    *watchedDir
	events uint64
}

// check records a successful stat(2) of a cached file: when it was made and
// the directories whose events would reveal a change since.
type check struct {
	at    time.Time
	marks []dirMark
}

// trusted reports whether the file checked is still known unchanged at now.
func (c *check) trusted(now time.Time) bool {
	if c == nil || len(c.marks) == 0 || now.Sub(c.at) >= trustFor || now.Before(c.at) {
		return false
	}
	for _, m := range c.marks {
		if m.dir.events.Load() != m.events {
			return false
		}
	}
	return true
}

func newWatcher() (*watcher, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("static: inotify_init1: %w", err)
	}
	w := &watcher{
		file: os.NewFile(uintptr(fd), "inotify"),
		fd:   fd,
		dirs: map[int32]*watchedDir{},
		buf:  make([]byte, 16<<10),
	}
	rc, err := w.file.SyscallConn()
	if err != nil {
		w.file.Close()
		return nil, fmt.Errorf("static: inotify: %w", err)
	}
	go func() {
		// Read calls drain whenever the descriptor is readable, until
		// drain reports the end or the file is closed.
		rc.Read(func(fd uintptr) bool { return w.drain() })
	}()
	return w, nil
}

// mark arms a watch on each directory and returns their event counts, or
// nil when one cannot be watched. Arming again is how a name is tied to
// the directory that has it now: after a rename the old watch follows the
// old directory, while inotify_add_watch resolves the name afresh.
func (w *watcher) mark(dirs []string) []dirMark {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	marks := make([]dirMark, 0, len(dirs))
	for _, name := range dirs {
		wd, err := syscall.InotifyAddWatch(w.fd, name, watchMask)
		if err != nil {
			return nil
		}
		d := w.dirs[int32(wd)]
		if d == nil {
			d = &watchedDir{}
			w.dirs[int32(wd)] = d
		}
		marks = append(marks, dirMark{dir: d, events: d.events.Load()})
	}
	return marks
}

// drain reads and counts queued events until none is left. It reports true
// when the descriptor is unusable, which ends the reading goroutine. The
// kernel queues an event before the call that caused it returns, so after
// a drain every change made before it is counted.
func (w *watcher) drain() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return true
	}
	for {
		n, err := syscall.Read(w.fd, w.buf)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false
		case err != nil || n <= 0:
			w.endAll()
			return true
		}
		w.count(w.buf[:n])
	}
}

// count applies a buffer of inotify_event records.
func (w *watcher) count(b []byte) {
	const header = 16 // wd, mask, cookie, len
	for len(b) >= header {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		size := header + int(binary.NativeEndian.Uint32(b[12:]))
		if size > len(b) {
			break
		}
		b = b[size:]
		if mask&syscall.IN_Q_OVERFLOW != 0 {
			// Events were lost: anything may have changed.
			for _, d := range w.dirs {
				d.events.Add(1)
			}
			continue
		}
		d := w.dirs[wd]
		if d == nil {
			continue
		}
		d.events.Add(1)
		if mask&(syscall.IN_IGNORED|syscall.IN_DELETE_SELF|syscall.IN_MOVE_SELF|syscall.IN_UNMOUNT) != 0 {
			// The directory went away or moved: its name no longer
			// leads to it, so its watch is of no further use.
			delete(w.dirs, wd)
			if mask&syscall.IN_IGNORED == 0 {
				syscall.InotifyRmWatch(w.fd, uint32(wd))
			}
		}
	}
}

// endAll marks every watch ended, so no entry is trusted any longer.
func (w *watcher) endAll() {
	for wd, d := range w.dirs {
		d.events.Add(1)
		delete(w.dirs, wd)
	}
}

// close releases the descriptor and its watches.
func (w *watcher) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.endAll()
	w.closed = true
	w.mu.Unlock()
	// Not under mu: Close waits for the reading goroutine to leave drain,
	// which takes mu.
	if err := w.file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("static: inotify: %w", err)
	}
	return nil
}

// watchDirs lists the directories from realbase down to the one holding
// name, which lies below realbase and has no "." or ".." components.
func watchDirs(realbase, name string) []string {
	dirs := []string{realbase}
	if realbase == "/" {
		realbase = ""
	}
	for i := len(realbase) + 1; i < len(name); i++ {
		if name[i] == '/' {
			dirs = append(dirs, name[:i])
		}
	}
	return dirs
}
