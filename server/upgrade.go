package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// Binary upgrade (beyond Mongrel2): a new server process takes over the
// listening socket, and every open client connection with it, so that
// upgrading the binary drops no connection and refuses no request.
//
// The old process freezes each connection at its next request (or
// websocket frame) boundary, waits a bounded time for handlers to answer
// the requests already sent, and passes each connection's file descriptor
// with its state (id, unparsed bytes, websocket upgrade head) over a unix
// socket. Then it closes its handler sockets and says "released"; the new
// process binds them, and handlers reconnect to it by themselves.

// handoverState is one message on the handover socket.
type handoverState struct {
	Ready    bool   `json:"ready,omitempty"`    // new → old: accepting
	Released bool   `json:"released,omitempty"` // old → new: handler sockets closed
	ID       uint32 `json:"id,omitempty"`
	Kind     uint32 `json:"kind,omitempty"`
	Requests int    `json:"requests,omitempty"`
	Send     string `json:"send,omitempty"` // the last handler's endpoints
	Recv     string `json:"recv,omitempty"`
	LastPing int64  `json:"last_ping,omitempty"`
	Buffered []byte `json:"buffered,omitempty"` // received, not yet parsed
	WSHead   []byte `json:"ws_head,omitempty"`  // websocket upgrade request
}

const handoverMaxMessage = 1 << 20

// StartHandlers binds the handler sockets that Options.DeferHandlers held
// back.
func (s *Server) StartHandlers() {
	s.mu.Lock()
	deferred := s.deferred
	s.deferred = nil
	s.mu.Unlock()
	for _, b := range deferred {
		b.pushDelay = reconnectGrace
	}
	s.startBackends(deferred)
}

// StopAccepting closes the listeners; Serve then returns nil while open
// connections keep being served.
func (s *Server) StopAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listeners = nil
}

// Handover freezes every connection at its next request boundary, waits up
// to wait for handlers to answer the requests in flight, and sends each
// frozen connection to the new process over sock. Connections that could
// not be frozen in time stay here; Close closes them. It returns how many
// connections were handed over.
func (s *Server) Handover(sock *net.UnixConn, wait time.Duration) (int, error) {
	s.freezing.Store(true)
	deadline := time.Now().Add(wait)
	for {
		busy := 0
		for _, c := range s.conns.snapshot() {
			switch {
			case c.closed.Load():
			case !c.parked.Load():
				c.nc.SetReadDeadline(time.Now()) // wake a blocked read so it parks
				busy++
			case c.pending.Load() > 0 || c.outputBusy():
				busy++
			}
		}
		if busy == 0 || time.Now().After(deadline) {
			if busy > 0 {
				s.log.Warn("upgrade: connections still busy at the deadline stay with the old process", "count", busy)
			}
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	handed := 0
	for _, c := range s.conns.snapshot() {
		if !c.parked.Load() || c.closed.Load() {
			continue
		}
		if err := c.handOver(sock); err != nil {
			return handed, fmt.Errorf("server: handover: %w", err)
		}
		handed++
	}
	return handed, nil
}

// outputBusy reports whether handler replies are still queued or being
// written.
func (c *conn) outputBusy() bool {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.writing || len(c.out) > 0
}

// handOver sends the connection to the new process and forgets it here
// without closing the client's socket or telling the handler.
func (c *conn) handOver(sock *net.UnixConn) error {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return errors.New("not a TCP connection")
	}
	st := handoverState{
		ID: c.id.Load(), Kind: c.kind.Load(), Requests: c.requests,
		LastPing: c.lastPing.Load(), Buffered: c.buf[c.r:c.w],
	}
	if b := c.lastHandler.Load(); b != nil {
		st.Send, st.Recv = b.cfg.SendSpec, b.cfg.RecvSpec
	}
	if c.ws != nil {
		st.WSHead = c.ws.head
	}
	msg, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if len(msg) > handoverMaxMessage {
		return fmt.Errorf("connection %d state is %d bytes", st.ID, len(msg))
	}
	f, err := tc.File()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := sock.WriteMsgUnix(msg, syscall.UnixRights(int(f.Fd())), nil); err != nil {
		return err
	}
	c.closed.Store(true)
	c.nc.Close() // our descriptor only: the new process holds the socket
	c.srv.conns.remove(c)
	return nil
}

// Adopt receives connections from the previous server process on sock and
// serves each at once, until the old process reports that it released the
// handler sockets (or goes away); then the handler sockets are bound. It
// first tells the old process that this one is accepting.
func (s *Server) Adopt(sock *net.UnixConn) (int, error) {
	defer s.StartHandlers()
	ready, _ := json.Marshal(handoverState{Ready: true})
	if _, err := sock.Write(ready); err != nil {
		return 0, fmt.Errorf("server: adopt: %w", err)
	}
	buf := make([]byte, handoverMaxMessage)
	oob := make([]byte, syscall.CmsgSpace(4))
	adopted := 0
	for {
		n, oobn, _, _, err := sock.ReadMsgUnix(buf, oob)
		if err != nil || n == 0 {
			return adopted, nil // the old process is gone: nothing more will come
		}
		var st handoverState
		if err := json.Unmarshal(buf[:n], &st); err != nil {
			return adopted, fmt.Errorf("server: adopt: %w", err)
		}
		if st.Released {
			return adopted, nil
		}
		nc, err := receiveConn(oob[:oobn])
		if err != nil {
			s.log.Error("adopt: bad connection message", "err", err)
			continue
		}
		if s.adopt(nc, &st) {
			adopted++
		}
	}
}

func receiveConn(oob []byte) (net.Conn, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("no descriptor: %v", err)
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("no descriptor: %v", err)
	}
	f := os.NewFile(uintptr(fds[0]), "adopted")
	defer f.Close()
	return net.FileConn(f)
}

// adopt rebuilds a connection from its handover state and starts serving it.
func (s *Server) adopt(nc net.Conn, st *handoverState) bool {
	rt := s.rt.Load()
	c := newConn(s, nc)
	c.buf = make([]byte, max(rt.settings.BufferSize, len(st.Buffered)))
	c.w = copy(c.buf, st.Buffered)
	c.kind.Store(st.Kind)
	c.requests = st.Requests
	if st.LastPing != 0 {
		c.lastPing.Store(st.LastPing)
	}
	if b := rt.backends[backendKey{st.Send, st.Recv}]; b != nil {
		c.lastHandler.Store(b)
	}
	if st.WSHead != nil {
		ws := &wsState{head: st.WSHead}
		if _, err := ws.req.Parse(ws.head, rt.parse); err != nil {
			nc.Close()
			return false
		}
		c.ws = ws
		if _, b := c.webSocketTarget(rt); b == nil {
			nc.Close()
			return false
		}
	}
	if st.ID != 0 && !s.conns.adopt(c, st.ID) {
		s.log.Error("adopt: connection id already taken", "id", st.ID)
		nc.Close()
		return false
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		nc.Close()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	s.conns.add(c)
	go c.serve()
	return true
}
