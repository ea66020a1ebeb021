package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/m2"
)

// Large uploads in Mongrel2's temp-file mode (spec §2.5): a body over
// limits.content_length, or a chunked one, is written to a file made from
// the upload.temp_store template. The handler gets the request twice: with
// x-mongrel2-upload-start before the body is read, and with
// x-mongrel2-upload-done as well once the file is complete. The file is
// the handler's to remove; on any failure it is removed and the
// connection closed.

// maxUploadChunk is Mongrel2's hard-coded limit on one chunk of a chunked
// upload.
const maxUploadChunk = 102400

var (
	keyUploadStart = []byte("x-mongrel2-upload-start")
	keyUploadDone  = []byte("x-mongrel2-upload-done")
)

// uploadState keeps the request head of an upload: the read buffer is
// reused for the body.
type uploadState struct {
	head []byte
	req  http1.Request
}

func (c *conn) tempUpload(rt *runtime, host *hostRuntime, rte *route.Route[*target], b *backend) bool {
	if c.up == nil {
		c.up = &uploadState{}
	}
	up := c.up
	up.head = append(up.head[:0], c.buf[c.r-c.headLen:c.r]...)
	if n, err := up.req.Parse(up.head, rt.parse); n != len(up.head) || err != nil {
		return false // cannot happen: the same bytes parsed a moment ago
	}
	f, err := createUploadFile(rt.settings.UploadTempStore, rt.settings.UploadTempStoreMode)
	if err != nil {
		c.srv.log.Error("upload: cannot create the temp file", "err", err)
		return false
	}
	path := []byte(f.Name())
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(string(path))
		}
	}()
	if !c.sendUploadMessage(rt, rte.Target, b, path, false) {
		return false
	}
	size, err := c.copyBody(rt, f, &up.req)
	if err != nil {
		c.srv.log.Warn("upload failed; temp file removed", "file", string(path), "err", err)
		return false
	}
	if err := f.Close(); err != nil {
		c.srv.log.Error("upload: closing the temp file", "file", string(path), "err", err)
		return false
	}
	if c.closed.Load() {
		return false // the handler aborted with an empty reply
	}
	if !c.sendUploadMessage(rt, rte.Target, b, path, true) {
		return false
	}
	done = true
	c.srv.logAccess(host.name, c, up.req.Method, up.req.Path, up.req.Version, 200, size)
	return true
}

// createUploadFile is mkstemp(3) on a template that must end in XXXXXX,
// then chmod to the octal mode text (default 0600).
func createUploadFile(template, mode string) (*os.File, error) {
	if !strings.HasSuffix(template, "XXXXXX") {
		return nil, fmt.Errorf("setting upload.temp_store %q must end in XXXXXX", template)
	}
	perm := os.FileMode(0o600)
	if mode != "" {
		m, err := strconv.ParseUint(mode, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("setting upload.temp_store_mode %q is not an octal mode", mode)
		}
		perm = os.FileMode(m) & os.ModePerm
	}
	dir, base := filepath.Split(strings.TrimSuffix(template, "XXXXXX"))
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+"*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// sendUploadMessage sends one of the two upload messages: the request's
// headers plus the temp file's path, with an empty body.
func (c *conn) sendUploadMessage(rt *runtime, t *target, b *backend, path []byte, complete bool) bool {
	msg := c.handlerMessage(rt, t, b, &c.up.req, c.up.req.Method)
	msg.Extra = append(msg.Extra, m2.Header{Name: keyUploadStart, Value: path})
	if complete {
		msg.Extra = append(msg.Extra, m2.Header{Name: keyUploadDone, Value: path})
	}
	return c.pushMessage(b, msg, true)
}

// copyBody writes the request body to f, de-chunking a chunked one, and
// returns its size. Bytes after the body stay buffered for the next
// request.
func (c *conn) copyBody(rt *runtime, f *os.File, req *http1.Request) (int64, error) {
	var written int64
	if req.Body != http1.BodyChunked {
		remaining := req.ContentLength
		for remaining > 0 {
			if c.r == c.w {
				if err := c.refillBody(rt, remaining); err != nil {
					return written, fmt.Errorf("reading the body: %w", err)
				}
			}
			take := min(int64(c.w-c.r), remaining)
			if _, err := f.Write(c.buf[c.r : c.r+int(take)]); err != nil {
				return written, err
			}
			c.r += int(take)
			remaining -= take
			written += take
		}
		c.setReadDeadline(time.Time{})
		return written, nil
	}
	sc := http1.ChunkedScanner{MaxChunkSize: maxUploadChunk}
	for !sc.Done() {
		if c.r == c.w {
			if err := c.refillBody(rt, -1); err != nil {
				return written, fmt.Errorf("reading the chunked body: %w", err)
			}
		}
		// Decode in place: the decoded data is never longer than its input.
		data, n, err := sc.Decode(c.buf[c.r:c.r], c.buf[c.r:c.w])
		if err != nil {
			return written, err
		}
		if _, err := f.Write(data); err != nil {
			return written, err
		}
		written += int64(len(data))
		c.r += n
	}
	c.setReadDeadline(time.Time{})
	return written, nil
}

func orEOF(err error) error {
	if err == nil {
		return errors.New("unexpected end of body")
	}
	return err
}

// refillBody reads the next part of a request body into c.buf, whose
// contents are used up: at most limit bytes, or as much as fits when limit
// is negative. Each read must make progress within limits.header_timeout,
// so a client trickling a body cannot hold the connection forever. When
// nothing came it returns the read's error (io.EOF if the client closed).
func (c *conn) refillBody(rt *runtime, limit int64) error {
	c.r, c.w = 0, 0
	c.setReadDeadline(time.Now().Add(rt.headerTimeout))
	buf := c.buf
	if limit >= 0 {
		buf = buf[:min(int64(len(buf)), limit)]
	}
	n, err := c.read(buf, false)
	c.countRead(n)
	c.w = n
	if n == 0 {
		return orEOF(err)
	}
	return nil
}
