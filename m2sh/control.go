package m2sh

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/control"
	"github.com/bareku/bareku/protocol/zmq"
)

// control is `m2sh control`: a prompt, `m2 [<name>]> `, whose lines are
// sent to the selected server's control port as [command, {key: value}]
// requests and whose replies are shown as tables (spec §8.4, §11).
//
// The endpoint is the server's control_port column, else the control_port
// setting, else ipc://run/control; an ipc:// path is taken relative to the
// server's chroot. m2sh 1.12.2 always uses ipc://<chroot>/run/control.
func (s *session) control(inv invocation) int {
	sel, ok := s.selectServers(inv)
	if !ok {
		return exitFailure
	}
	if !sel.fromDB {
		s.log.errorf(nil, "Invalid data given to internal routine control_server.")
		s.log.errorf(nil, "Failed to run internal operation.")
		return exitFailure
	}
	if len(sel.servers) != 1 {
		s.log.errorf(sqliteErrno, "Ambiguous server select, expected 1 but got %d.", len(sel.servers))
		s.log.errorf(nil, "Failed to run internal operation.")
		return exitFailure
	}
	srv := sel.servers[0]
	endpoint := controlEndpoint(srv)
	s.log.infof("Connecting to control port %s", endpoint)

	ctx, err := zmq.NewContext(1)
	if err != nil {
		s.log.errorf(nil, "Failed to create REQ socket: %v", err)
		return exitFailure
	}
	defer ctx.Term()
	c := &controlClient{s: s, ctx: ctx, endpoint: endpoint}
	if err := c.connect(); err != nil {
		s.log.errorf(nil, "Failed to connect to control port: %v", err)
		return exitFailure
	}
	defer c.close()
	s.warnNoHome(syscall.EAGAIN)
	s.readLines(fmt.Sprintf("m2 [%s]> ", srv.Name), c.do)
	return exitOK
}

// controlEndpoint is where srv's control port is: its resolved
// ControlPort, with an ipc:// path joined to the chroot the way m2sh joins
// ipc://<chroot>/run/control.
func controlEndpoint(srv config.Server) string {
	path, ok := strings.CutPrefix(srv.ControlPort, "ipc://")
	if !ok || srv.Chroot == "" {
		return srv.ControlPort
	}
	return "ipc://" + srv.Chroot + "/" + strings.TrimPrefix(path, "/")
}

// controlClient owns the REQ socket of a control session.
type controlClient struct {
	s        *session
	ctx      *zmq.Context
	endpoint string
	sock     *zmq.Socket
}

func (c *controlClient) connect() error {
	sock, err := c.ctx.Connect(zmq.Req, c.endpoint, zmq.Options{Linger: 0, RecvTimeout: c.s.controlTimeout})
	if err != nil {
		return err
	}
	c.sock = sock
	return nil
}

func (c *controlClient) close() {
	if c.sock != nil {
		c.sock.Close()
		c.sock = nil
	}
}

// lineErrno is the errno m2sh shows with errors about a typed line: the
// ENOTTY its line editor leaves behind when stdin is not a terminal.
func (c *controlClient) lineErrno() error {
	if c.s.interactive {
		return nil
	}
	return syscall.ENOTTY
}

// do sends one typed line and shows the reply.
func (c *controlClient) do(line string) {
	log := c.s.log
	cmd, args, err := control.ParseLine(line)
	if err != nil {
		switch err {
		case control.ErrIntegerRange:
			log.errorf(syscall.ERANGE, "%v", err)
			log.errorf(nil, "Didn't render to a valid TNetstring.")
		case control.ErrInteger:
			log.errorf(c.lineErrno(), "%v", err)
			log.errorf(nil, "Didn't render to a valid TNetstring.")
		default:
			log.errorf(c.lineErrno(), "%v", err)
		}
		log.errorf(nil, "Invalid command, try again.")
		return
	}
	// The dict goes out in the order m2sh's hash table renders it. m2sh
	// also sends the NUL byte that ends its C string; Mongrel2 ignores it,
	// so it is left out.
	keys := make([]string, len(args))
	for i, a := range args {
		keys[i] = a.Key
	}
	ordered := make([]control.Arg, 0, len(args))
	for _, i := range hashRenderOrder(keys) {
		ordered = append(ordered, args[i])
	}
	req := control.AppendRequest(nil, cmd, ordered)
	if c.sock == nil {
		if err := c.connect(); err != nil {
			log.errorf(nil, "Failed to connect to control port: %v", err)
			return
		}
	}
	if err := c.sock.Send(req); err != nil {
		log.errorf(nil, "Failed to send message to control port: %v", err)
		c.close()
		return
	}
	reply, err := c.sock.Recv()
	if err != nil {
		// A REQ socket that missed its reply cannot send again: start over
		// with a new one for the next line.
		log.errorf(nil, "Failed to receive message from control port: %v", err)
		c.close()
		return
	}
	if err := control.Render(c.s.stdout, reply); err != nil {
		log.errorf(syscall.EAGAIN, "%v", err)
	}
}
