package harness

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
)

// Operations: the control port, the access log, signals and rewriting the
// config database of a running server (spec §10, §11).

// ControlEndpoint is the default control port of a server started by the
// harness: ipc://run/control relative to its working directory (spec §11.1).
func (s *Server) ControlEndpoint() string {
	return "ipc://" + filepath.Join(s.Dir, "run", "control")
}

// ControlTimeout bounds one control-port exchange.
const ControlTimeout = 3 * time.Second

// Control sends one raw request to the server's control port on a fresh REQ
// socket and returns the raw reply.
func (s *Server) Control(t testing.TB, req string) []byte {
	t.Helper()
	reply, err := ControlRequest(s.ControlEndpoint(), []byte(req), ControlTimeout)
	if err != nil {
		t.Fatalf("%s: control %q: %v", s.Impl.Name, req, err)
	}
	return reply
}

// ControlRequest does one REQ/REP exchange with endpoint. Each call uses its
// own context, so a request that times out leaves no stuck socket behind.
func ControlRequest(endpoint string, req []byte, timeout time.Duration) ([]byte, error) {
	ctx, err := zmq.NewContext()
	if err != nil {
		return nil, fmt.Errorf("harness: zmq context: %w", err)
	}
	defer ctx.Term()
	sock, err := ctx.NewSocket(zmq.REQ)
	if err != nil {
		return nil, fmt.Errorf("harness: REQ socket: %w", err)
	}
	defer sock.Close()
	for _, set := range []func() error{
		func() error { return sock.SetLinger(0) },
		func() error { return sock.SetSndtimeo(timeout) },
		func() error { return sock.SetRcvtimeo(timeout) },
		func() error { return sock.Connect(endpoint) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("harness: REQ %s: %w", endpoint, err)
		}
	}
	if _, err := sock.SendBytes(req, 0); err != nil {
		return nil, fmt.Errorf("harness: send to %s: %w", endpoint, err)
	}
	reply, err := sock.RecvBytes(0)
	if err != nil {
		return nil, fmt.Errorf("harness: no reply from %s within %v: %w", endpoint, timeout, err)
	}
	return reply, nil
}

// Signal sends sig to the server process.
func (s *Server) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s: signal %v: %v", s.Impl.Name, sig, err)
	}
}

// PidFile is the path of the pid file every generated config names.
func (s *Server) PidFile() string { return filepath.Join(s.Dir, "run", "mongrel2.pid") }

// AccessLogPath is the path of the access log every generated config names.
func (s *Server) AccessLogPath() string { return filepath.Join(s.Dir, "logs", "access.log") }

// AccessLog returns the content of the access log ("" when it is missing).
func (s *Server) AccessLog() string {
	b, _ := os.ReadFile(s.AccessLogPath())
	return string(b)
}

// DB is the path of the config database the server was started with.
func (s *Server) DB() string { return filepath.Join(s.Dir, "config.sqlite") }

// Reconfigure writes cfg as the new mongrel2.conf and loads it into the
// running server's database with the server's m2sh (m2sh load recreates
// the tables). Handlers already known keep their endpoints; new ones get
// fresh ports. The server is not told: send SIGHUP to reload.
func (s *Server) Reconfigure(t testing.TB, cfg Config) {
	t.Helper()
	for _, hs := range cfg.Handlers {
		if _, ok := s.specs[hs.Name]; !ok {
			s.specs[hs.Name] = [2]string{
				"tcp://127.0.0.1:" + strconv.Itoa(freePort(t)),
				"tcp://127.0.0.1:" + strconv.Itoa(freePort(t)),
			}
		}
	}
	s.cfg = cfg
	conf, err := s.render()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "mongrel2.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := Load(s.Impl.M2sh, s.Dir, "mongrel2.conf", "config.sqlite"); err != nil {
		t.Fatalf("%s load: %v\n%s\nconfig:\n%s", s.Impl.M2sh, err, out, conf)
	}
}

// Forget drops the messages recorded so far, for long runs that would
// otherwise keep every request in memory. Wait counts from zero again.
func (h *Handler) Forget() {
	h.mu.Lock()
	h.msgs = nil
	h.mu.Unlock()
}

// LocalPort is the client's own port, as the server sees it as the remote
// port.
func (c *Conn) LocalPort() int { return c.c.LocalAddr().(*net.TCPAddr).Port }

// TNet is one decoded tnetstring: Tag is the type byte (',' string, '#'
// int, '^' float, '!' bool, '~' null, ']' list, '}' dict). Str holds the
// payload of scalars as written; Items holds list elements, or dict keys
// and values alternating, in wire order.
type TNet struct {
	Tag   byte
	Str   string
	Int   int64
	Items []TNet
}

// ParseTNet decodes exactly one tnetstring filling all of b. It is strict
// where the servers under test must be: plain decimal length prefixes,
// exact booleans, string dict keys.
func ParseTNet(b []byte) (TNet, error) {
	v, rest, err := parseTNet(b, 0)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: %d bytes after the tnetstring", ErrMalformed, len(rest))
	}
	return v, err
}

func parseTNet(b []byte, depth int) (TNet, []byte, error) {
	if depth > 32 {
		return TNet{}, nil, fmt.Errorf("%w: nested too deep", ErrMalformed)
	}
	if !canonicalLength(b) {
		return TNet{}, nil, fmt.Errorf("%w: length prefix of %.12q is not plain decimal", ErrMalformed, b)
	}
	data, tag, rest, err := splitTNet(b)
	if err != nil {
		return TNet{}, nil, err
	}
	v := TNet{Tag: tag, Str: string(data)}
	switch tag {
	case ',', '^':
	case '#':
		if v.Int, err = strconv.ParseInt(v.Str, 10, 64); err != nil {
			return TNet{}, nil, fmt.Errorf("%w: int %q", ErrMalformed, data)
		}
	case '!':
		if v.Str != "true" && v.Str != "false" {
			return TNet{}, nil, fmt.Errorf("%w: bool %q", ErrMalformed, data)
		}
	case '~':
		if len(data) != 0 {
			return TNet{}, nil, fmt.Errorf("%w: null with payload", ErrMalformed)
		}
	case ']', '}':
		v.Str = ""
		for len(data) > 0 {
			var item TNet
			if item, data, err = parseTNet(data, depth+1); err != nil {
				return TNet{}, nil, err
			}
			if tag == '}' && len(v.Items)%2 == 0 && item.Tag != ',' {
				return TNet{}, nil, fmt.Errorf("%w: dict key of type %q", ErrMalformed, item.Tag)
			}
			v.Items = append(v.Items, item)
		}
		if tag == '}' && len(v.Items)%2 != 0 {
			return TNet{}, nil, fmt.Errorf("%w: dict key without value", ErrMalformed)
		}
	default:
		return TNet{}, nil, fmt.Errorf("%w: type %q", ErrMalformed, tag)
	}
	return v, rest, nil
}

// canonicalLength reports whether b starts with a length prefix as servers
// write it: decimal digits without sign or leading zero, then ':'.
func canonicalLength(b []byte) bool {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i > 0 && i < len(b) && b[i] == ':' && (i == 1 || b[0] != '0')
}

// Get returns the value of key in a dict.
func (v TNet) Get(key string) (TNet, bool) {
	if v.Tag != '}' {
		return TNet{}, false
	}
	for i := 0; i+1 < len(v.Items); i += 2 {
		if v.Items[i].Str == key {
			return v.Items[i+1], true
		}
	}
	return TNet{}, false
}

// String renders v compactly for test messages: strings quoted, ints bare,
// lists in [], dicts in {}.
func (v TNet) String() string {
	var b bytes.Buffer
	v.write(&b)
	return b.String()
}

func (v TNet) write(b *bytes.Buffer) {
	switch v.Tag {
	case ',':
		b.WriteString(strconv.Quote(v.Str))
	case ']', '}':
		open, closing := "[", "]"
		if v.Tag == '}' {
			open, closing = "{", "}"
		}
		b.WriteString(open)
		for i, it := range v.Items {
			switch {
			case i == 0:
			case v.Tag == '}' && i%2 == 1:
				b.WriteString(": ")
			default:
				b.WriteString(", ")
			}
			it.write(b)
		}
		b.WriteString(closing)
	case '~':
		b.WriteString("null")
	default:
		b.WriteString(v.Str)
	}
}

// TNetInt encodes n as a tnetstring integer.
func TNetInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strconv.Itoa(len(s)) + ":" + s + "#"
}

// Lines splits text into its non-empty lines.
func Lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
