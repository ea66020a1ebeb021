package server

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/server/proxy"
)

// toDir serves a static file (spec §5). A request body sent to a Dir is
// skipped, as Mongrel2 does, so it is not parsed as the next request.
func (c *conn) toDir(rt *runtime, host *hostRuntime, rte *route.Route[*target]) bool {
	req := &c.req
	res, err := rte.Target.dir.Serve(c, req, rte.Prefix, time.Now())
	if res.Log {
		c.srv.logAccess(host.name, c, req.Method, req.Path, req.Version, res.LogStatus(), res.Size)
	}
	if err != nil || res.Close {
		return false
	}
	return c.skipBody(rt, req.ContentLength)
}

// skipBody discards n bytes of request body.
func (c *conn) skipBody(rt *runtime, n int64) bool {
	if n <= 0 {
		return true
	}
	if avail := int64(c.w - c.r); avail >= n {
		c.r += int(n)
		return true
	}
	n -= int64(c.w - c.r)
	c.r = c.w
	c.setReadDeadline(time.Now().Add(rt.headerTimeout))
	defer c.setReadDeadline(time.Time{})
	var buf [4096]byte
	for n > 0 {
		m, err := c.read(buf[:min(n, int64(len(buf)))], false)
		c.countRead(m)
		n -= int64(m)
		if err != nil {
			return false
		}
	}
	return true
}

// toProxy forwards the request to the route's HTTP backend (spec §6). The
// request goes out as received (or as the rewrite filter rewrites it),
// one request at a time, so pipelined requests stay intact.
func (c *conn) toProxy(rt *runtime, host *hostRuntime, rte *route.Route[*target]) bool {
	req := &c.req
	head := c.buf[c.r-c.headLen : c.r]
	if rt.filters.rewrite {
		if h, ok := rewriteHead(c.scratch[:0], req, c.remoteIP, rt.settings.NoClobberXFF); ok {
			c.scratch = h
			head = h
		}
	}
	// The client adapter may refill the read buffer, which holds the
	// request line: keep what the access log needs.
	c.logLine = append(append(append(c.logLine[:0], req.Method...), req.Path...), req.Version...)
	nm, np := len(req.Method), len(req.Path)
	c.pc = proxyClient{c: c, rt: rt}
	res, err := rte.Target.proxy.Serve(&c.pc, req, head)
	if errors.Is(err, proxy.ErrBackendDown) {
		c.reject(502)
		return false
	}
	if res.Status != 0 {
		c.srv.logAccess(host.name, c, c.logLine[:nm], c.logLine[nm:nm+np], c.logLine[nm+np:], res.Status, res.Size)
	}
	return err == nil && !res.Close
}

// proxyClient is the client side of a proxied exchange: the connection's
// read buffer (so a pipelined request behind this one stays buffered) and
// its serialised writes.
type proxyClient struct {
	c      *conn
	rt     *runtime
	tunnel bool
}

func (p *proxyClient) Write(b []byte) (int, error) { return p.c.Write(b) }

// ReadFrom keeps sendfile-style copies available to the proxy.
func (p *proxyClient) ReadFrom(r io.Reader) (int64, error) { return p.c.ReadFrom(r) }

// Next returns the unread buffered bytes, reading more when there are none.
func (p *proxyClient) Next() ([]byte, error) {
	c := p.c
	if c.r == c.w {
		c.r, c.w = 0, 0
		if p.tunnel {
			c.setReadDeadline(time.Time{})
		} else {
			c.setReadDeadline(time.Now().Add(p.rt.headerTimeout))
		}
		n, err := c.read(c.buf, false)
		c.countRead(n)
		c.w = n
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return nil, err
		}
	}
	return c.buf[c.r:c.w], nil
}

// Consume marks n buffered bytes as forwarded.
func (p *proxyClient) Consume(n int) { p.c.r += n }

// Tunnel is called once an upgrade succeeded: reads then wait as long as
// the tunnel lives (the reaper still watches the connection).
func (p *proxyClient) Tunnel() {
	p.tunnel = true
	p.c.setReadDeadline(time.Time{})
}

// CloseWrite half-closes the client when the backend side of a tunnel ends.
func (p *proxyClient) CloseWrite() error {
	if tc, ok := p.c.nc.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return nil
}
