package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/route"
	"github.com/bareku/bareku/protocol/http1"
	"github.com/bareku/bareku/protocol/zmq"
	"github.com/bareku/bareku/server/proxy"
	"github.com/bareku/bareku/server/static"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Server beyond what the config database says.
type Options struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// AccessLog receives Mongrel2's tnetstring access-log lines; nil
	// disables access logging.
	AccessLog io.Writer
	// DeferHandlers creates the handler backends without binding their
	// sockets until StartHandlers: during a binary upgrade the old process
	// still holds them.
	DeferHandlers bool
}

// Server serves one server row of a config snapshot.
type Server struct {
	log     *slog.Logger
	metrics *metrics // nil unless the setting metrics.address is set
	rt      atomic.Pointer[runtime]
	zctx    *zmq.Context
	conns   *registry
	access  *accessLogger

	wg        sync.WaitGroup // connection goroutines
	reloadMu  sync.Mutex     // one reload at a time
	mu        sync.Mutex     // guards the fields below
	listeners []net.Listener
	backends  []*backend              // every started backend, live or retiring
	retiring  map[backendKey]*backend // removed by a reload, still bound; guarded by reloadMu
	control   *controlPort
	deferred  []*backend // created, not started (Options.DeferHandlers)
	stopping  bool
	freezing  atomic.Bool // a binary upgrade is handing connections over
	done      chan struct{}
	reaperWG  sync.WaitGroup
	retireWG  sync.WaitGroup
}

// runtime is the immutable serving state built from one snapshot. Requests
// load it once each; a reload swaps in a new one.
type runtime struct {
	snap          *config.Snapshot
	settings      config.Settings
	parse         http1.Options
	hosts         route.HostTable[*hostRuntime]
	defaultHost   *hostRuntime
	backends      map[backendKey]*backend
	proxies       []*proxy.Proxy // closed when the runtime is replaced
	dirs          []*static.Dir  // closed when the runtime is replaced
	headerTimeout time.Duration
	writeTimeout  time.Duration
	filters       filterSet
}

// backendKey identifies a handler's sockets: two handler rows with the same
// send_spec and recv_spec are one handler (spec §2.1), and the endpoints
// can only be bound once.
type backendKey struct{ send, recv string }

type hostRuntime struct {
	name   string
	routes route.Table[*target]
}

// target is what one route points at: exactly one of backend, dir, proxy.
type target struct {
	pattern  []byte             // the route string, reported to handlers as PATTERN
	requests prometheus.Counter // nil without metrics
	backend  *backend
	dir      *static.Dir
	proxy    *proxy.Proxy
}

// New builds a server for snap: it binds every handler's sockets (in the
// background, with Mongrel2's retries) and starts the connection reaper.
// Call Serve to accept connections and Close to stop.
func New(snap *config.Snapshot, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if snap.Server.UseSSL {
		// Serving a TLS config as plain HTTP would be worse than refusing.
		return nil, fmt.Errorf("server: server %s has use_ssl=1, and TLS is not supported yet", snap.Server.UUID)
	}
	zctx, err := zmq.NewContext(snap.Settings.ZeroMQThreads)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		log:   log,
		zctx:  zctx,
		conns: newRegistry(),
		done:  make(chan struct{}),
	}
	if opts.AccessLog != nil && !snap.Settings.DisableAccessLogging {
		s.access = newAccessLogger(opts.AccessLog, log)
	}
	if addr := snap.Settings.MetricsAddress; addr != "" {
		if s.metrics, err = newMetrics(addr); err != nil {
			zctx.Term()
			return nil, err
		}
	}
	rt, fresh, _, err := s.buildRuntime(snap, nil)
	if err != nil {
		zctx.Term()
		return nil, err
	}
	if opts.DeferHandlers {
		s.deferred = fresh
	} else {
		s.startBackends(fresh)
	}
	s.rt.Store(rt)
	s.reaperWG.Add(1)
	go s.reap()
	return s, nil
}

// Reload applies a new snapshot of the same server atomically: the new
// runtime is built completely first, and only then swapped in. Requests
// parsed after the swap use the new hosts, routes and settings; requests
// already sent to a handler finish on it. Handlers whose sockets did not
// change keep them bound; removed handlers keep theirs for a grace period.
// On error nothing changes.
func (s *Server) Reload(snap *config.Snapshot) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.rt.Load()
	if snap.Server.UUID != old.snap.Server.UUID {
		return fmt.Errorf("server: reload: snapshot is for server %s, not %s", snap.Server.UUID, old.snap.Server.UUID)
	}
	rt, fresh, replaced, err := s.buildRuntime(snap, old)
	if err != nil {
		s.countReload("rejected")
		return fmt.Errorf("server: reload: %w", err)
	}
	// Handlers removed by an earlier reload and wanted again keep the
	// sockets they still hold.
	for key, b := range rt.backends {
		if s.retiring[key] == b {
			delete(s.retiring, key)
		}
	}
	for _, b := range replaced {
		if s.retiring[backendKey{b.cfg.SendSpec, b.cfg.RecvSpec}] == b {
			delete(s.retiring, backendKey{b.cfg.SendSpec, b.cfg.RecvSpec})
		}
	}
	s.countReload("ok")
	if a, b := old.snap.Server, snap.Server; a.BindAddr != b.BindAddr || a.Port != b.Port || a.UseSSL != b.UseSSL || a.Chroot != b.Chroot {
		s.log.Warn("reload: bind_addr, port, use_ssl and chroot changes need a restart", "bind_addr", b.BindAddr, "port", b.Port)
	}
	// A handler whose endpoints stay but whose identity, subscription or
	// protocol changed must release its sockets before the new one binds.
	for _, b := range replaced {
		s.stopBackend(b)
	}
	// Handlers may already be retrying connections to endpoints a reload
	// binds (a blue/green switch starts them first): hold requests back
	// as after an upgrade, so their PUB sockets are subscribed before
	// their first replies.
	for _, b := range fresh {
		b.pushDelay = reconnectGrace
	}
	s.startBackends(fresh)
	s.rt.Store(rt)
	for _, px := range old.proxies {
		px.Close() // idle pooled backend connections; exchanges in progress finish
	}
	for _, d := range old.dirs {
		d.Close() // file watches; requests in progress finish
	}
	for key, b := range old.backends {
		if rt.backends[key] != b && !slices.Contains(replaced, b) {
			s.retire(b)
		}
	}
	s.log.Info("reloaded config", "hosts", len(snap.Hosts), "handlers", len(rt.backends))
	return nil
}

// buildRuntime turns a snapshot into routing tables. Backends of old whose
// sockets are unchanged are reused; fresh ones are created but not started
// (so a failed build has no side effects); replaced lists old backends on
// the same endpoints whose other settings changed.
func (s *Server) buildRuntime(snap *config.Snapshot, old *runtime) (rt *runtime, fresh, replaced []*backend, err error) {
	st := snap.Settings
	rt = &runtime{
		snap:          snap,
		settings:      st,
		parse:         http1.Options{Relaxed: st.RequestRelaxed, MaxHeaders: st.HeaderCount, MaxHeadBytes: st.BufferSize},
		backends:      map[backendKey]*backend{},
		headerTimeout: time.Duration(st.HeaderTimeout) * time.Second,
		writeTimeout:  time.Duration(st.WriteTimeout) * time.Second,
	}
	if rt.headerTimeout <= 0 || rt.writeTimeout <= 0 {
		return nil, nil, nil, errors.New("server: settings limits.header_timeout and limits.write_timeout must be positive")
	}
	if st.BufferSize < 64 {
		return nil, nil, nil, fmt.Errorf("server: setting limits.buffer_size=%d is too small (minimum 64)", st.BufferSize)
	}
	backendFor := func(h *config.Handler) *backend {
		key := backendKey{h.SendSpec, h.RecvSpec}
		if b := rt.backends[key]; b != nil {
			return b
		}
		var b *backend
		var ob *backend
		if old != nil {
			ob = old.backends[key]
		}
		if ob == nil {
			ob = s.retiring[key] // removed by an earlier reload, sockets still bound
		}
		if ob != nil {
			if sameSockets(ob.cfg, h) {
				b = ob
			} else {
				replaced = append(replaced, ob)
			}
		}
		if b == nil {
			b = newBackend(s, h)
			fresh = append(fresh, b)
		}
		rt.backends[key] = b
		return b
	}
	dirs := map[*config.Dir]*static.Dir{}
	proxies := map[*config.Proxy]*proxy.Proxy{}
	for _, h := range snap.Hosts {
		hr := &hostRuntime{name: h.Name}
		for _, r := range h.Routes {
			t := &target{pattern: []byte(r.Path)}
			if s.metrics != nil {
				t.requests = s.metrics.requests.WithLabelValues(h.Name, r.Path, r.TargetType)
			}
			switch {
			case r.Handler != nil:
				t.backend = backendFor(r.Handler)
			case r.Dir != nil:
				d := dirs[r.Dir]
				if d == nil {
					d, err = static.New(r.Dir, snap.MIME, static.LimitsFrom(&st))
					if err != nil {
						return nil, nil, nil, fmt.Errorf("server: route %q: %w", r.Path, err)
					}
					dirs[r.Dir] = d
					rt.dirs = append(rt.dirs, d)
				}
				t.dir = d
			case r.Proxy != nil:
				px := proxies[r.Proxy]
				if px == nil {
					px = proxy.New(r.Proxy, proxy.Options{
						ProxyReadRetries:   st.ProxyReadRetries,
						ProxyReadRetryWarn: st.ProxyReadRetryWarn,
						Warn:               s.log.Warn,
					})
					proxies[r.Proxy] = px
					rt.proxies = append(rt.proxies, px)
				}
				t.proxy = px
			default:
				return nil, nil, nil, fmt.Errorf("server: route %d (%q) has no target", r.ID, r.Path)
			}
			hr.routes.Add(r.Path, t)
		}
		rt.hosts.Add(h.Matching, hr)
		if h == snap.DefaultHost {
			rt.defaultHost = hr
		}
	}
	if rt.defaultHost == nil {
		return nil, nil, nil, fmt.Errorf("server: default host %q is not a host of server %s", snap.Server.DefaultHostName, snap.Server.UUID)
	}
	if rt.filters, err = loadFilters(snap, s.log); err != nil {
		return nil, nil, nil, err
	}
	return rt, fresh, replaced, nil
}

// sameSockets reports whether a backend for a can serve b unchanged.
func sameSockets(a, b *config.Handler) bool {
	return a.SendSpec == b.SendSpec && a.RecvSpec == b.RecvSpec && a.SendIdent == b.SendIdent &&
		a.RecvIdent == b.RecvIdent && a.Protocol == b.Protocol && a.RawPayload == b.RawPayload
}

func (s *Server) startBackends(list []*backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range list {
		b.start(s.zctx)
		s.backends = append(s.backends, b)
	}
}

// stopBackend closes a backend's sockets now.
func (s *Server) stopBackend(b *backend) {
	b.shutdown()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.backends {
		if x == b {
			s.backends = append(s.backends[:i], s.backends[i+1:]...)
			break
		}
	}
}

// retire stops a backend a reload removed, after the grace period or at
// Close, whichever comes first, unless a later reload takes it back. The
// caller holds reloadMu.
func (s *Server) retire(b *backend) {
	key := backendKey{b.cfg.SendSpec, b.cfg.RecvSpec}
	grace := time.Duration(s.rt.Load().settings.HandlerRetireGrace) * time.Second
	if s.retiring == nil {
		s.retiring = map[backendKey]*backend{}
	}
	s.retiring[key] = b
	s.retireWG.Add(1)
	go func() {
		defer s.retireWG.Done()
		select {
		case <-time.After(grace):
			s.reloadMu.Lock()
			defer s.reloadMu.Unlock()
			if s.retiring[key] == b { // not taken back by a reload meanwhile
				delete(s.retiring, key)
				s.stopBackend(b)
			}
		case <-s.done:
			// Close stops every backend still listed.
		}
	}()
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		ln.Close()
		return nil
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
			if errors.Is(err, net.ErrClosed) {
				return nil // StopAccepting
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
	s.retireWG.Wait()
	s.mu.Lock()
	backends := s.backends
	s.backends = nil
	s.mu.Unlock()
	for _, b := range backends {
		b.shutdown()
	}
	if s.access != nil {
		s.access.close()
	}
	if s.metrics != nil {
		s.metrics.close()
	}
	for _, px := range s.rt.Load().proxies {
		px.Close()
	}
	for _, d := range s.rt.Load().dirs {
		d.Close()
	}
	return s.zctx.Term()
}

// Settings returns the settings in force.
func (s *Server) Settings() config.Settings { return s.rt.Load().settings }

// MetricsAddr is where /metrics is served, or "" without metrics.
func (s *Server) MetricsAddr() string {
	if s.metrics == nil {
		return ""
	}
	return s.metrics.Addr()
}

func (s *Server) countReload(result string) {
	if s.metrics != nil {
		s.metrics.reloads.WithLabelValues(result).Inc()
	}
}

// Snapshot returns the config snapshot in force.
func (s *Server) Snapshot() *config.Snapshot { return s.rt.Load().snap }
