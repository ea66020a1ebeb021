package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/zmq"
	"github.com/bareku/bareku/server/static"
)

// Timeouts that Mongrel2 does not have. They close the gaps its read-count
// rule and reaper leave open; see docs/compatibility.md.
const (
	defaultHeaderTimeout = 30 * time.Second
	defaultWriteTimeout  = 60 * time.Second
)

// Options configure a Server beyond what the config database says.
type Options struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// AccessLog receives Mongrel2's tnetstring access-log lines; nil
	// disables access logging.
	AccessLog io.Writer
}

// Server serves one server row of a config snapshot.
type Server struct {
	log      *slog.Logger
	snap     *config.Snapshot
	rt       atomic.Pointer[runtime]
	zctx     *zmq.Context
	backends []*backend
	conns    *registry
	access   *accessLogger

	wg        sync.WaitGroup // connection goroutines
	mu        sync.Mutex
	listeners []net.Listener
	control   *controlPort
	stopping  bool
	done      chan struct{}
	reaperWG  sync.WaitGroup
}

// runtime is the immutable routing state built from one snapshot.
type runtime struct {
	settings      config.Settings
	parse         http1.Options
	hosts         route.HostTable[*hostRuntime]
	defaultHost   *hostRuntime
	headerTimeout time.Duration
	writeTimeout  time.Duration
}

type hostRuntime struct {
	name   string
	routes route.Table[*target]
}

// target is what one route points at: exactly one of backend, dir, proxy.
type target struct {
	pattern []byte // the route string, reported to handlers as PATTERN
	backend *backend
	dir     *static.Dir
	proxy   *config.Proxy
}

// New builds a server for snap: it binds every handler's sockets (in the
// background, with Mongrel2's retries) and starts the connection reaper.
// Call Serve to accept connections and Close to stop.
func New(snap *config.Snapshot, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	zctx, err := zmq.NewContext(snap.Settings.ZeroMQThreads)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		log:   log,
		snap:  snap,
		zctx:  zctx,
		conns: newRegistry(),
		done:  make(chan struct{}),
	}
	if opts.AccessLog != nil && !snap.Settings.DisableAccessLogging {
		s.access = newAccessLogger(opts.AccessLog, log)
	}
	rt, err := s.buildRuntime(snap)
	if err != nil {
		zctx.Term()
		return nil, err
	}
	s.rt.Store(rt)
	for _, b := range s.backends {
		b.start(zctx)
	}
	s.reaperWG.Add(1)
	go s.reap()
	return s, nil
}

// buildRuntime turns a snapshot into routing tables and creates (but does
// not start) one backend per distinct handler.
func (s *Server) buildRuntime(snap *config.Snapshot) (*runtime, error) {
	st := snap.Settings
	rt := &runtime{
		settings:      st,
		parse:         http1.Options{Relaxed: st.RequestRelaxed, MaxHeaders: st.HeaderCount, MaxHeadBytes: st.BufferSize},
		headerTimeout: defaultHeaderTimeout,
		writeTimeout:  defaultWriteTimeout,
	}
	if v := st.Raw["limits.header_timeout"]; v != "" {
		rt.headerTimeout = time.Duration(atoi(v)) * time.Second
	}
	if v := st.Raw["limits.write_timeout"]; v != "" {
		rt.writeTimeout = time.Duration(atoi(v)) * time.Second
	}
	if rt.settings.BufferSize < 64 {
		return nil, fmt.Errorf("server: setting limits.buffer_size=%d is too small (minimum 64)", rt.settings.BufferSize)
	}
	backends := map[*config.Handler]*backend{}
	dirs := map[*config.Dir]*static.Dir{}
	for _, h := range snap.Hosts {
		hr := &hostRuntime{name: h.Name}
		for _, r := range h.Routes {
			t := &target{pattern: []byte(r.Path)}
			switch {
			case r.Handler != nil:
				b := backends[r.Handler]
				if b == nil {
					b = newBackend(s, r.Handler)
					backends[r.Handler] = b
					s.backends = append(s.backends, b)
				}
				t.backend = b
			case r.Dir != nil:
				d := dirs[r.Dir]
				if d == nil {
					var err error
					d, err = static.New(r.Dir, snap.MIME, static.Limits{SendBuffer: st.DirSendBuffer, MaxPath: st.DirMaxPath})
					if err != nil {
						return nil, fmt.Errorf("server: route %q: %w", r.Path, err)
					}
					dirs[r.Dir] = d
				}
				t.dir = d
			case r.Proxy != nil:
				t.proxy = r.Proxy
			default:
				return nil, fmt.Errorf("server: route %d (%q) has no target", r.ID, r.Path)
			}
			hr.routes.Add(r.Path, t)
		}
		rt.hosts.Add(h.Matching, hr)
		if h == snap.DefaultHost {
			rt.defaultHost = hr
		}
	}
	if rt.defaultHost == nil {
		return nil, fmt.Errorf("server: default host %q is not a host of server %s", snap.Server.DefaultHostName, snap.Server.UUID)
	}
	return rt, nil
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return errors.New("server: closed")
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// e.g. out of file descriptors: back off, and clean out dead
				// connections like Mongrel2 does when accept fails.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
				s.reapOnce(time.Now())
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok && s.rt.Load().settings.TCPKeepalive {
			tc.SetKeepAlive(true)
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.wg.Add(1)
		s.mu.Unlock()
		s.conns.add(c)
		go c.serve()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// Close stops accepting, closes every client connection (their handlers get
// disconnect events), flushes and closes the handler sockets and terminates
// the ZeroMQ context. Pending handler replies are not awaited, as in
// Mongrel2.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil
	}
	s.stopping = true
	close(s.done)
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()

	s.reaperWG.Wait()
	if s.control != nil {
		s.control.shutdown()
	}
	for _, c := range s.conns.snapshot() {
		c.close(closeByServer)
	}
	s.wg.Wait()
	for _, b := range s.backends {
		b.shutdown()
	}
	if s.access != nil {
		s.access.close()
	}
	return s.zctx.Term()
}

// Settings returns the settings in force.
func (s *Server) Settings() config.Settings { return s.rt.Load().settings }
