package server

import (
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/m2"
)

// Streamed uploads (upload.stream=1, spec §2.5): the handler gets the
// request with UPLOAD_STREAM "0" and the body bytes already received, then
// asks for more with ["ctl", {"credits": N}] replies; each following message
// carries only UPLOAD_STREAM (its offset in the body), UPLOAD_STREAM_DONE
// "1" on the last, and at most the credits granted (a chunked body goes one
// de-chunked chunk per message, which may overdraw).

var keyUploadStream = []byte("UPLOAD_STREAM")

// creditPoll is how often a stream waiting for credits checks that its
// connection is still open.
const creditPoll = 100 * time.Millisecond

// addCredits grants a streamed upload n more bytes (a ctl credits reply).
func (c *conn) addCredits(n int64) {
	if n <= 0 {
		return
	}
	c.credits.Add(n)
	select {
	case c.creditWake <- struct{}{}:
	default:
	}
}

// waitCredits blocks until credits are available, and reports false when
// the connection closed meanwhile.
func (c *conn) waitCredits() bool {
	for c.credits.Load() <= 0 {
		if c.closed.Load() {
			return false
		}
		select {
		case <-c.creditWake:
		case <-time.After(creditPoll):
		}
	}
	return !c.closed.Load()
}

func (c *conn) streamUpload(rt *runtime, host *hostRuntime, rte *route.Route[*target], b *backend) bool {
	if c.up == nil {
		c.up = &uploadState{}
	}
	up := c.up
	up.head = append(up.head[:0], c.buf[c.r-c.headLen:c.r]...)
	if n, err := up.req.Parse(up.head, rt.parse); n != len(up.head) || err != nil {
		return false
	}
	req := &up.req
	c.credits.Store(0)
	// The first message: the whole request and what of the body is here.
	var first []byte
	var remaining int64
	if req.Body != http1.BodyChunked {
		remaining = req.ContentLength
		first = c.buf[c.r : c.r+int(min(int64(c.w-c.r), remaining))]
		remaining -= int64(len(first))
	}
	if !c.sendStreamStart(rt, rte.Target, b, first) {
		return false
	}
	c.r += len(first)
	offset := int64(len(first))
	id := uint64(c.id.Load())
	send := func(body []byte, done bool) bool {
		m := getBuffer()
		*m = m2.AppendUploadStream((*m)[:0], b.proto, b.uuid, id, req.Path, offset, done, body)
		offset += int64(len(body))
		return b.send(m)
	}
	if req.Body != http1.BodyChunked {
		for remaining > 0 {
			if !c.waitCredits() {
				return false
			}
			if c.r == c.w {
				if err := c.refillBody(rt, remaining); err != nil {
					c.srv.log.Warn("streamed upload cut short", "err", err)
					return false
				}
			}
			take := min(int64(c.w-c.r), remaining, c.credits.Load())
			body := c.buf[c.r : c.r+int(take)]
			c.r += int(take)
			remaining -= take
			c.credits.Add(-take)
			if !send(body, remaining == 0) {
				return false
			}
		}
	} else if !c.streamChunks(rt, send) {
		return false
	}
	c.setReadDeadline(time.Time{})
	c.srv.logAccess(host.name, c, req.Method, req.Path, req.Version, 200, offset)
	return true
}

// streamChunks sends a chunked body de-chunked, one message per batch of
// chunk data received, each after credits were granted (so it may
// overdraw, as in Mongrel2).
func (c *conn) streamChunks(rt *runtime, send func([]byte, bool) bool) bool {
	sc := http1.ChunkedScanner{MaxChunkSize: maxUploadChunk}
	var data []byte
	for !sc.Done() {
		if c.r == c.w {
			if err := c.refillBody(rt, -1); err != nil {
				c.srv.log.Warn("streamed upload cut short", "err", err)
				return false
			}
		}
		var n int
		var err error
		data, n, err = sc.Decode(data[:0], c.buf[c.r:c.w])
		c.r += n
		if err != nil {
			c.srv.log.Warn("bad chunked upload", "err", err)
			return false
		}
		if len(data) > 0 || sc.Done() {
			if !c.waitCredits() {
				return false
			}
			c.credits.Add(-int64(len(data)))
			if !send(data, sc.Done()) {
				return false
			}
		}
	}
	return true
}

// sendStreamStart sends the first message of a streamed upload.
func (c *conn) sendStreamStart(rt *runtime, t *target, b *backend, body []byte) bool {
	msg := c.handlerMessage(rt, t, b, &c.up.req, c.up.req.Method)
	msg.Body = body
	msg.Extra = append(msg.Extra, m2.Header{Name: keyUploadStream, Value: []byte("0")})
	return c.pushMessage(b, msg, true)
}
