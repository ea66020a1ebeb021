package m2bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// HTTPOptions describe an HTTP (or websocket) load run.
type HTTPOptions struct {
	Workload
	// URL is the target: http://, https://, or ws:// and wss:// in
	// websocket mode.
	URL string
	// Method defaults to GET.
	Method string
	// Headers are extra request header lines, "Name: value".
	Headers []string
	// Body is sent with every request (with a Content-Length), or as every
	// websocket message.
	Body []byte
	// Close sends each request on a connection of its own, with
	// Connection: close; the connect time counts in the latency.
	Close bool
	// WebSocket opens websocket connections and measures the round trip
	// of a text message to an echoing server.
	WebSocket bool
	// Insecure skips TLS certificate verification.
	Insecure bool
}

// Mode names the kind of run for reports.
func (o HTTPOptions) Mode() string {
	switch {
	case o.WebSocket:
		return "websocket"
	case o.Close:
		return "http-close"
	}
	return "http"
}

// RunHTTP drives o.URL as o says and returns the measurements. progress,
// when not nil, gets a live progress line (carriage-return updated).
func RunHTTP(ctx context.Context, o HTTPOptions, progress io.Writer) (*Result, error) {
	if err := o.Workload.check(); err != nil {
		return nil, err
	}
	var newConn func() roundTripper
	if o.WebSocket {
		if o.Close {
			return nil, errors.New("m2bench: websocket mode keeps its connections; -close does not apply")
		}
		u, err := url.Parse(o.URL)
		if err != nil {
			return nil, fmt.Errorf("m2bench: url: %w", err)
		}
		switch u.Scheme {
		case "http":
			u.Scheme = "ws"
		case "https":
			u.Scheme = "wss"
		case "ws", "wss":
		default:
			return nil, fmt.Errorf("m2bench: websocket url %q: scheme must be ws or wss", o.URL)
		}
		d := &websocket.Dialer{HandshakeTimeout: o.timeout(),
			TLSClientConfig: &tls.Config{InsecureSkipVerify: o.Insecure}}
		target := u.String()
		msg := o.Body
		if len(msg) == 0 {
			msg = []byte("m2bench")
		}
		newConn = func() roundTripper {
			return &wsConn{dialer: d, url: target, msg: msg, timeout: o.timeout()}
		}
	} else {
		t, err := newHTTPTarget(o)
		if err != nil {
			return nil, err
		}
		newConn = func() roundTripper { return &httpConn{t: t} }
	}
	h, errs, timeline, elapsed := runLoad(ctx, o.Workload, shortName(o.URL), progress, newConn)
	return newResult(o.URL, o.Mode(), o.Workload, h, errs, timeline, elapsed), nil
}

// httpTarget is what every connection of a run shares: where to connect
// and the request bytes.
type httpTarget struct {
	addr    string
	tls     *tls.Config // nil for plain HTTP
	request []byte
	head    bool
	close   bool
	timeout time.Duration
}

func newHTTPTarget(o HTTPOptions) (*httpTarget, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("m2bench: url: %w", err)
	}
	t := &httpTarget{close: o.Close, timeout: o.timeout()}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		t.tls = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: o.Insecure}
	default:
		return nil, fmt.Errorf("m2bench: url %q: scheme must be http or https", o.URL)
	}
	t.addr = net.JoinHostPort(u.Hostname(), port)
	method := o.Method
	if method == "" {
		method = "GET"
	}
	t.head = method == "HEAD"
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	hasAgent := false
	for _, h := range o.Headers {
		name, _, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(h, "\r\n") {
			return nil, fmt.Errorf("m2bench: header %q: want \"Name: value\"", h)
		}
		hasAgent = hasAgent || strings.EqualFold(strings.TrimSpace(name), "User-Agent")
		b.WriteString(h + "\r\n")
	}
	if !hasAgent {
		b.WriteString("User-Agent: m2bench\r\n")
	}
	if len(o.Body) > 0 || method == "POST" || method == "PUT" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(o.Body)) + "\r\n")
	}
	if o.Close {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	t.request = append([]byte(b.String()), o.Body...)
	return t, nil
}

// httpConn is one client connection; it reconnects after errors, after a
// response that ends the connection, and before every request in Close
// mode.
type httpConn struct {
	t    *httpTarget
	conn net.Conn
	br   *bufio.Reader
}

func (c *httpConn) roundTrip() (int, error) {
	t := c.t
	if c.conn == nil {
		if err := c.dial(); err != nil {
			return 0, &opError{"connect", err}
		}
	}
	c.conn.SetDeadline(time.Now().Add(t.timeout))
	if _, err := c.conn.Write(t.request); err != nil {
		c.close()
		return 0, &opError{"write", err}
	}
	r, err := readResponse(c.br, t.head)
	if err != nil {
		c.close()
		if errors.Is(err, errBadResponse) {
			return 0, &opError{"response", err}
		}
		return 0, &opError{"read", err}
	}
	if t.close || !r.keepAlive {
		c.close()
	}
	return r.status, nil
}

func (c *httpConn) prepare() error {
	if c.t.close {
		return nil // each request opens its own connection
	}
	if err := c.dial(); err != nil {
		return &opError{"connect", err}
	}
	return nil
}

func (c *httpConn) dial() error {
	d := net.Dialer{Timeout: c.t.timeout}
	conn, err := d.Dial("tcp", c.t.addr)
	if err != nil {
		return err
	}
	if c.t.tls != nil {
		tc := tls.Client(conn, c.t.tls)
		ctx, cancel := context.WithTimeout(context.Background(), c.t.timeout)
		defer cancel()
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

func (c *httpConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// wsConn is one websocket client connection sending msg and waiting for
// the echo.
type wsConn struct {
	dialer  *websocket.Dialer
	url     string
	msg     []byte
	timeout time.Duration
	conn    *websocket.Conn
}

func (c *wsConn) prepare() error {
	conn, resp, err := c.dialer.Dial(c.url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return &opError{"connect", err}
	}
	c.conn = conn
	return nil
}

func (c *wsConn) roundTrip() (int, error) {
	if c.conn == nil {
		if err := c.prepare(); err != nil {
			return 0, err
		}
	}
	c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	if err := c.conn.WriteMessage(websocket.TextMessage, c.msg); err != nil {
		c.close()
		return 0, &opError{"write", err}
	}
	c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	_, r, err := c.conn.NextReader()
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		c.close()
		return 0, &opError{"read", err}
	}
	return 0, nil
}

func (c *wsConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// shortName is a target's name on the progress line.
func shortName(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
