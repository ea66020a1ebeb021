package server

import (
	"time"

	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/server/static"
)

// toDir serves a static file (spec §5).
func (c *conn) toDir(rt *runtime, host *hostRuntime, rte *route.Route[*target]) bool {
	req := &c.req
	res, err := rte.Target.dir.Serve(c, req, rte.Prefix, time.Now())
	if err != nil {
		return false
	}
	c.srv.logAccess(host.name, c, req.Method, req.Path, req.Version, res.Status, res.Size)
	return !res.Close
}

// toProxy answers proxy routes. Forwarding to HTTP backends is not built
// yet: the client gets Mongrel2's 502 canned response, which is also what
// it gets when a backend is down.
func (c *conn) toProxy(rt *runtime, host *hostRuntime, rte *route.Route[*target]) bool {
	c.reject(502)
	return false
}

var _ = http1.KindHTTP
var _ = static.New
