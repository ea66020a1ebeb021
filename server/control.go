package server

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	tns "github.com/bareku/bareku/protocol/tnetstring"
	"github.com/bareku/bareku/protocol/zmq"
)

// The control port (spec §11): a REP socket taking tnetstring requests
// [command, {args}] and answering tnetstring dicts, byte for byte as
// Mongrel2 1.12.2 does.

// Mongrel2's error replies, exact bytes.
var (
	errInvalidRequest   = controlError("INVALID_REQUEST", "Invalid request format, must be a list with two elements in it.")
	errInvalidData      = controlError("INVALID_DATA", "Invalid data, expecting a list with a string and a hash in it.")
	errCallbackNotFound = controlError("CALLBACK_NOT_FOUND", "Callback requested was not found.")
	errSignalFailed     = controlError("SIGNAL_FAILED", "raise call failed, can't signal process")
	errInvalidArgument  = controlError("INVALID_ARGUMENT", "Invalid argument type.")
)

func controlError(code, msg string) tns.Value {
	return tns.Dict(tns.KV("code", tns.String(code)), tns.KV("error", tns.String(msg)))
}

// table is the success reply shape: {"headers": [...], "rows": [[...], ...]}.
func table(headers []string, rows ...[]tns.Value) tns.Value {
	hs := make([]tns.Value, len(headers))
	for i, h := range headers {
		hs[i] = tns.String(h)
	}
	rs := make([]tns.Value, len(rows))
	for i, r := range rows {
		rs[i] = tns.List(r...)
	}
	return tns.Dict(tns.KV("headers", tns.List(hs...)), tns.KV("rows", tns.List(rs...)))
}

func msgTable(msg string) tns.Value {
	return table([]string{"msg"}, []tns.Value{tns.String(msg)})
}

// controlHelp is the help table in Mongrel2's order.
var controlHelp = [][2]string{
	{"stop", "stop the server (SIGINT)"},
	{"reload", "reload the server"},
	{"help", "this command"},
	{"control_stop", "stop control port"},
	{"kill", "kill a connection"},
	{"status", "status, what=['net'|'tasks']"},
	{"terminate", "terminate the server (SIGTERM)"},
	{"time", "the server's time"},
	{"uuid", "the server's uuid"},
	{"info", "information about this server"},
}

// controlPort owns the REP socket.
type controlPort struct {
	srv    *Server
	sock   *zmq.Socket
	signal func(syscall.Signal) error
	stop   chan struct{}
	done   sync.WaitGroup
}

// StartControl binds the control port at endpoint. signal is how stop,
// reload and terminate reach the process (nil: signal this process, as
// Mongrel2's raise() does). A bind failure only disables the control port,
// so the error is for logging.
func (s *Server) StartControl(endpoint string, signal func(syscall.Signal) error) error {
	if signal == nil {
		signal = func(sig syscall.Signal) error { return syscall.Kill(syscall.Getpid(), sig) }
	}
	sock, err := s.zctx.Bind(zmq.Rep, endpoint, zmq.Options{Linger: 0, RecvTimeout: handlerPollPeriod})
	if err != nil {
		return err
	}
	cp := &controlPort{srv: s, sock: sock, signal: signal, stop: make(chan struct{})}
	cp.done.Add(1)
	go cp.run()
	s.mu.Lock()
	s.control = cp
	s.mu.Unlock()
	return nil
}

func (cp *controlPort) shutdown() {
	close(cp.stop)
	cp.done.Wait()
}

func (cp *controlPort) run() {
	defer cp.done.Done()
	defer cp.sock.Close()
	for {
		req, err := cp.sock.Recv()
		if err != nil {
			if errors.Is(err, zmq.ErrTimeout) {
				select {
				case <-cp.stop:
					return
				default:
					continue
				}
			}
			return
		}
		reply, after := cp.handle(req)
		if err := cp.sock.Send(reply.Append(nil)); err != nil {
			cp.srv.log.Warn("control port reply failed", "err", err)
		}
		if after != nil {
			if after() {
				return
			}
		}
	}
}

// handle answers one request. after, if set, runs once the reply is sent;
// it returns true when the control port must stop.
func (cp *controlPort) handle(raw []byte) (reply tns.Value, after func() bool) {
	// Bytes after the request are ignored, as Mongrel2 does: m2sh 1.12
	// sends a trailing NUL.
	v, _, err := tns.Parse(raw)
	if err != nil {
		return errInvalidData, nil
	}
	if v.Type != tns.TypeList {
		return errInvalidRequest, nil
	}
	if len(v.List) < 2 || v.List[0].Type != tns.TypeString || v.List[1].Type != tns.TypeDict {
		return errInvalidData, nil
	}
	args := v.List[1]
	switch string(v.List[0].Str) {
	case "help":
		rows := make([][]tns.Value, len(controlHelp))
		for i, h := range controlHelp {
			rows[i] = []tns.Value{tns.String(h[0]), tns.String(h[1])}
		}
		return table([]string{"name", "help"}, rows...), nil
	case "stop":
		return cp.raise(syscall.SIGINT)
	case "reload":
		return cp.raise(syscall.SIGHUP)
	case "terminate":
		return cp.raise(syscall.SIGTERM)
	case "control_stop":
		return msgTable("stopping the control port"), func() bool { return true }
	case "time":
		return table([]string{"time"}, []tns.Value{tns.String(strconv.FormatInt(time.Now().Unix(), 10))}), nil
	case "uuid":
		return table([]string{"uuid"}, []tns.Value{tns.String(cp.srv.Snapshot().Server.UUID)}), nil
	case "info":
		return cp.info(), nil
	case "status":
		return cp.status(args), nil
	case "kill":
		return cp.kill(args), nil
	}
	return errCallbackNotFound, nil
}

func (cp *controlPort) raise(sig syscall.Signal) (tns.Value, func() bool) {
	if err := cp.signal(sig); err != nil {
		cp.srv.log.Error("control port could not signal the server", "signal", sig, "err", err)
		return errSignalFailed, nil
	}
	return msgTable("signal sent to server"), nil
}

func (cp *controlPort) info() tns.Value {
	sv := cp.srv.Snapshot().Server
	return table(
		[]string{"port", "bind_addr", "uuid", "chroot", "access_log", "error_log", "pid_file", "default_hostname"},
		[]tns.Value{tns.Int(int64(sv.Port)), tns.String(sv.BindAddr), tns.String(sv.UUID), tns.String(sv.Chroot),
			tns.String(sv.AccessLog), tns.String(sv.ErrorLog), tns.String(sv.PidFile), tns.String(sv.DefaultHostName)},
	)
}

func (cp *controlPort) status(args tns.Value) tns.Value {
	what, ok := args.Get("what")
	if !ok || what.Type != tns.TypeString {
		return errInvalidArgument
	}
	switch string(what.Str) {
	case "net":
		return cp.statusNet()
	case "tasks":
		return cp.statusTasks()
	}
	return tns.Dict(tns.KV("error", tns.String("Expected argument what=['net'|'tasks'].")))
}

func (cp *controlPort) statusNet() tns.Value {
	now := time.Now().Unix()
	since := func(t int64) tns.Value {
		if t == 0 {
			return tns.Int(0)
		}
		return tns.Int(now - t)
	}
	var rows [][]tns.Value
	for _, c := range cp.srv.conns.snapshot() {
		id := int64(-1)
		if v := c.id.Load(); v != 0 {
			id = int64(v)
		}
		rows = append(rows, []tns.Value{
			tns.Int(id), tns.Int(int64(c.fd())), tns.Int(int64(c.kind.Load())),
			since(c.lastPing.Load()), since(c.lastRead.Load()), since(c.lastWrite.Load()),
			tns.Int(c.bytesRead.Load()), tns.Int(c.bytesWritten.Load()),
		})
	}
	return table([]string{"id", "fd", "type", "last_ping", "last_read", "last_write", "bytes_read", "bytes_written"}, rows...)
}

// statusTasks lists the server's long-lived tasks in Mongrel2's shape.
func (cp *controlPort) statusTasks() tns.Value {
	task := func(id int, name, state, status string) []tns.Value {
		return []tns.Value{tns.Int(int64(id)), tns.Bool(false), tns.String(name), tns.String(state), tns.String(status)}
	}
	rows := [][]tns.Value{task(1, "SERVER", "read fd", "idle")}
	cp.srv.mu.Lock()
	backends := append([]*backend(nil), cp.srv.backends...)
	cp.srv.mu.Unlock()
	for _, b := range backends {
		status := "idle"
		if b.failed.Load() {
			status = "dead"
		}
		rows = append(rows, task(len(rows)+1, "Handler_task", "read handler", status))
	}
	rows = append(rows, task(len(rows)+1, "control", "read handler", "running"))
	rows = append(rows, task(len(rows)+1, "ticker", "", "idle"))
	return table([]string{"id", "system", "name", "state", "status"}, rows...)
}

// kill closes one connection by id. Unlike Mongrel2, any 32-bit id can be
// killed (it rejects ids of 65536 and up), and the handler is told.
func (cp *controlPort) kill(args tns.Value) tns.Value {
	id, ok := args.Get("id")
	if !ok || id.Type != tns.TypeInt || id.Int < 0 {
		return errInvalidArgument
	}
	c := cp.srv.conns.lookup(uint64(id.Int))
	if c == nil {
		return errInvalidArgument
	}
	c.close(closeReaped)
	return table([]string{"status"}, []tns.Value{tns.String("OK")})
}

// fd is the connection's file descriptor, for the control port.
func (c *conn) fd() int {
	sc, ok := c.nc.(syscallConner)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

type syscallConner interface {
	SyscallConn() (syscall.RawConn, error)
}

var _ syscallConner = (*net.TCPConn)(nil)
