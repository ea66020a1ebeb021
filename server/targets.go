package server

import (
	"time"

	"github.com/bareku/bareku/config/route"
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

// toProxy answers proxy routes. Forwarding to HTTP backends is not built
// yet: the client gets Mongrel2's 502 canned response, which is also what
// it gets when a backend is down.
func (c *conn) toProxy(rt *runtime, host *hostRuntime, rte *route.Route[*target]) bool {
	c.reject(502)
	return false
}
