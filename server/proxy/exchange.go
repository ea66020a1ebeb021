package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bareku/bareku/protocol/http1"
)

// exchange is one request and its response on one backend connection.
type exchange struct {
	p   *Proxy
	bc  *backendConn
	c   Client
	req *http1.Request
	res Result

	// retry is set when the request may be sent again on a new
	// connection: nothing came back, nothing went to the client and the
	// request can be repeated.
	retry bool
	// reusable is set when the backend connection ended cleanly after the
	// response, with no stray bytes.
	reusable bool
	// gotBytes is set once the backend sent anything.
	gotBytes bool
}

// bodyResult is how forwarding the request body ended.
type bodyResult struct {
	err      error
	byClient bool // the client side failed: its stream is not at a request boundary
}

func (x *exchange) run(head []byte) (err error) {
	// The request's slices point into the client's buffer, which the body
	// reads may reuse: take what is needed now.
	req := x.req
	hasBody := req.Body != http1.BodyNone
	x.bc.method = append(x.bc.method[:0], req.Method...)
	upgrade := IsUpgrade(req)
	expect := hasBody && req.Expect != nil && bytes.EqualFold(req.Expect, []byte("100-continue"))
	retryable := !hasBody && idempotent(req.Method)
	if err := x.bc.write(head, x.p.opt.WriteTimeout); err != nil {
		x.retry = true // nothing consumed from the client, nothing sent to it
		return fmt.Errorf("proxy: send request head to %s: %w: %w", x.p.addr, ErrBackendDown, err)
	}

	// With "Expect: 100-continue" the client may wait for the backend's
	// 100 before sending the body, so the body goes in the background
	// while the response is read. Otherwise it is sent first.
	var body bodyResult
	bodyDone := !hasBody
	if expect {
		bodyDone = true // unless the deferred check below says otherwise
		ch := make(chan bodyResult, 1)
		go func() { ch <- x.sendBody() }()
		defer func() {
			if err != nil {
				x.bc.nc.Close() // unblock a write to the backend
			}
			body = <-ch
			if body.err != nil {
				x.res.Close = true
				x.reusable = false
			}
		}()
	} else if hasBody {
		body = x.sendBody()
		if body.byClient {
			return body.err
		}
		// A backend that stopped reading may still have answered (413,
		// 401...): relay that, then close, the client's body being unread.
		bodyDone = body.err == nil
	}

	var n int
	for {
		if n, err = x.readHead(); err != nil {
			x.retry = retryable && !x.gotBytes && x.res.Written == 0
			return err
		}
		if !x.bc.resp.Interim() {
			break
		}
		head := x.bc.buf[x.bc.r : x.bc.r+n]
		x.bc.r += n
		if err := x.toClient(head); err != nil {
			return err
		}
	}

	resp := &x.bc.resp
	x.res.Status, x.res.Size = resp.Status, resp.ContentLength
	if resp.Status == 101 {
		if !resp.Upgrade || !upgrade || !bodyDone {
			return fmt.Errorf("proxy: %s: %w", x.p.addr, errBad101)
		}
		return x.tunnel()
	}
	if err := x.relayBody(n); err != nil {
		return err
	}
	x.res.Close = resp.Close || !bodyDone
	x.reusable = !x.res.Close && x.bc.r == x.bc.w
	return nil
}

// idempotent reports whether a request with this method may be sent twice
// (RFC 9110 §9.2.2).
func idempotent(method []byte) bool {
	switch string(method) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// sendBody forwards the request body from the client, verbatim.
func (x *exchange) sendBody() bodyResult {
	c, bc, wt := x.c, x.bc, x.p.opt.WriteTimeout
	switch x.req.Body {
	case http1.BodyLength:
		for left := x.req.ContentLength; left > 0; {
			p, err := c.Next()
			if err != nil {
				return bodyResult{fmt.Errorf("proxy: read request body: %w", err), true}
			}
			p = p[:min(int64(len(p)), left)]
			if err := bc.write(p, wt); err != nil {
				return bodyResult{fmt.Errorf("proxy: send request body to %s: %w", x.p.addr, err), false}
			}
			c.Consume(len(p))
			left -= int64(len(p))
		}
	case http1.BodyChunked:
		s := &bc.reqChunks
		s.Reset()
		for !s.Done() {
			p, err := c.Next()
			if err != nil {
				return bodyResult{fmt.Errorf("proxy: read request body: %w", err), true}
			}
			k, err := s.Scan(p)
			if err != nil {
				return bodyResult{fmt.Errorf("proxy: request body: %w", err), true}
			}
			if err := bc.write(p[:k], wt); err != nil {
				return bodyResult{fmt.Errorf("proxy: send request body to %s: %w", x.p.addr, err), false}
			}
			c.Consume(k)
		}
	}
	return bodyResult{}
}

// readHead reads until bc.buf[bc.r:] starts with a whole response head,
// parsed into bc.resp, and returns its length.
func (x *exchange) readHead() (int, error) {
	bc := x.bc
	for reads := 0; ; {
		if bc.r < bc.w {
			n, err := bc.resp.Parse(bc.buf[bc.r:bc.w], bc.method)
			if err != nil {
				return 0, fmt.Errorf("proxy: response from %s: %w", x.p.addr, err)
			}
			if n > 0 {
				return n, nil
			}
			if bc.r > 0 {
				bc.w = copy(bc.buf, bc.buf[bc.r:bc.w])
				bc.r = 0
			}
			if bc.w == len(bc.buf) {
				return 0, fmt.Errorf("%w (%s)", errHeadTooLarge, x.p.addr)
			}
		} else {
			bc.r, bc.w = 0, 0
		}
		if reads == x.p.opt.ProxyReadRetries {
			return 0, fmt.Errorf("%w (%s)", errSlowHead, x.p.addr)
		}
		if reads == x.p.opt.ProxyReadRetryWarn {
			x.p.opt.Warn("proxy: backend is slow to send its response head",
				"backend", x.p.addr, "reads", reads, "limits.proxy_read_retries", x.p.opt.ProxyReadRetries)
		}
		reads++
		m, err := bc.read(bc.buf[bc.w:], x.p.opt.ReadTimeout)
		bc.w += m
		if m > 0 {
			x.gotBytes = true
			continue // parse what came, even with an error: it recurs
		}
		if err == io.EOF && !x.gotBytes {
			err = errNoResponse
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("proxy: read response head from %s: %w", x.p.addr, err)
	}
}

// relayBody writes the response head of n bytes at bc.buf[bc.r:] and its
// body to the client, leaving bc.r after the body.
func (x *exchange) relayBody(n int) error {
	bc, rt := x.bc, x.p.opt.ReadTimeout
	resp := &bc.resp
	start, bodyStart := bc.r, bc.r+n
	switch resp.Framing {
	case http1.FrameNone:
		bc.r = bodyStart
		return x.toClient(bc.buf[start:bodyStart])

	case http1.FrameLength:
		left := resp.ContentLength
		k := min(int64(bc.w-bodyStart), left)
		bc.r = bodyStart + int(k)
		if err := x.toClient(bc.buf[start:bc.r]); err != nil {
			return err
		}
		for left -= k; left > 0; {
			bc.r, bc.w = 0, 0
			m, err := bc.read(bc.buf[:min(int64(len(bc.buf)), left)], rt)
			if err := x.toClient(bc.buf[:m]); err != nil {
				return err
			}
			if left -= int64(m); left > 0 && err != nil {
				return fmt.Errorf("proxy: read response body from %s: %w", x.p.addr, noEOF(err))
			}
		}
		return nil

	case http1.FrameChunked:
		s := &bc.chunks
		s.Reset()
		k, err := s.Scan(bc.buf[bodyStart:bc.w])
		if err != nil {
			return fmt.Errorf("proxy: response body from %s: %w", x.p.addr, err)
		}
		bc.r = bodyStart + k
		if err := x.toClient(bc.buf[start:bc.r]); err != nil {
			return err
		}
		for !s.Done() {
			m, rerr := bc.read(bc.buf, rt)
			bc.r, bc.w = 0, m
			k, err := s.Scan(bc.buf[:m])
			if err != nil {
				return fmt.Errorf("proxy: response body from %s: %w", x.p.addr, err)
			}
			bc.r = k
			if err := x.toClient(bc.buf[:k]); err != nil {
				return err
			}
			if rerr != nil && !s.Done() {
				return fmt.Errorf("proxy: read response body from %s: %w", x.p.addr, noEOF(rerr))
			}
		}
		return nil

	default: // http1.FrameClose
		bc.r = bc.w
		if err := x.toClient(bc.buf[start:bc.w]); err != nil {
			return err
		}
		for {
			m, err := bc.read(bc.buf, rt)
			if werr := x.toClient(bc.buf[:m]); werr != nil {
				return werr
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("proxy: read response body from %s: %w", x.p.addr, err)
			}
		}
	}
}

// noEOF turns an EOF inside a body into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// tunnel relays the 101 head and then bytes both ways until both sides
// are done. Each direction half-closes the other side when its source
// ends.
func (x *exchange) tunnel() error {
	bc := x.bc
	x.res.Upgraded, x.res.Close = true, true
	if err := x.toClient(bc.buf[bc.r:bc.w]); err != nil { // 101 head and any early bytes
		return err
	}
	bc.r, bc.w = 0, 0
	if tc, ok := x.c.(interface{ Tunnel() }); ok {
		tc.Tunnel()
	}

	up := make(chan error, 1)
	go func() { up <- x.clientToBackend() }()

	var err error
	for {
		m, rerr := bc.read(bc.buf, x.p.opt.TunnelIdleTimeout)
		if werr := x.toClient(bc.buf[:m]); werr != nil {
			err = werr
			break
		}
		if rerr != nil {
			if rerr != io.EOF {
				err = fmt.Errorf("proxy: tunnel from %s: %w", x.p.addr, rerr)
			}
			break
		}
	}
	if cw, ok := x.c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	if uerr := <-up; err == nil {
		err = uerr
	}
	return err
}

// clientToBackend copies the client's bytes to the backend until the
// client's stream ends.
func (x *exchange) clientToBackend() error {
	bc := x.bc
	for {
		p, err := x.c.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if cw, ok := bc.nc.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
					return nil
				}
			}
			bc.nc.Close() // stop the other direction too
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("proxy: tunnel from client: %w", err)
		}
		if err := bc.write(p, x.p.opt.WriteTimeout); err != nil {
			return fmt.Errorf("proxy: tunnel to %s: %w", x.p.addr, err)
		}
		x.c.Consume(len(p))
	}
}

// toClient writes p to the client.
func (x *exchange) toClient(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := x.c.Write(p)
	x.res.Written += int64(n)
	if err != nil {
		return fmt.Errorf("proxy: write to client: %w", err)
	}
	return nil
}

func (bc *backendConn) write(p []byte, timeout time.Duration) error {
	if len(p) == 0 {
		return nil
	}
	bc.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := bc.nc.Write(p)
	return err
}

// read reads once from the backend; timeout 0 means none.
func (bc *backendConn) read(p []byte, timeout time.Duration) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	bc.nc.SetReadDeadline(deadline)
	return bc.nc.Read(p)
}
