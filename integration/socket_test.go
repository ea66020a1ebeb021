package integration

import (
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// maskedFrame builds a client websocket frame (payload < 126 bytes).
func maskedFrame(first byte, payload string) string {
	b := []byte{first, 0x80 | byte(len(payload)), 0x11, 0x22, 0x33, 0x44}
	mask := []byte{0x11, 0x22, 0x33, 0x44}
	for i := range len(payload) {
		b = append(b, payload[i]^mask[i%4])
	}
	return string(b)
}

const wsUpgrade = "GET /handler/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Origin: http://localhost\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// TestWebSocketMessages: the handshake message carries the accept key as
// its body; fragments are reassembled, control frames between them are
// forwarded at once, and each message carries the upgrade headers and
// FLAGS (spec §2.6). A frame that is not masked closes the connection and
// the handler hears of it.
func TestWebSocketMessages(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c := s.Dial(t)
		c.Write(wsUpgrade)
		hs := h.Wait(t, 1)[0]
		o.message(hs)
		if got := string(hs.Body); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
			t.Errorf("handshake body %q", got)
		}
		c.Write(maskedFrame(0x01, "hel") + maskedFrame(0x89, "p") + maskedFrame(0x80, "lo") +
			maskedFrame(0xC2, "\x00\x01") + maskedFrame(0x8A, "") + maskedFrame(0x88, "\x03\xe8"))
		ms := h.Wait(t, 6)
		o.message(ms[1:]...)
		h.Reply([]string{hs.ID}, []byte("HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x02hi"))
		expectOpen(t, "raw reply", o.client(c.Read(harness.UntilBytes(40))), "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x02hi")
		c.Write("\x81\x01x") // not masked
		expectCanned(t, "protocol error", o.client(c.Read(harness.UntilClose)), "")
		o.message(h.Wait(t, 7)[6:]...)
	})
}

// TestWebSocketNotFirst: an upgrade as the second request of a keep-alive
// connection closes it (spec §2.6).
func TestWebSocketNotFirst(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c := s.Dial(t)
		c.Write("GET /handler HTTP/1.1\r\nHost: localhost\r\n\r\n" + wsUpgrade)
		o.message(h.Wait(t, 1)...)
		expectCanned(t, "second-request upgrade", o.client(c.Read(harness.UntilClose)), "")
	})
}

// TestJSONSocketMessages: @path messages reach the handler as METHOD JSON,
// pings are not forwarded, and replies come back base64-encoded without
// separators (spec §2.7).
func TestJSONSocketMessages(t *testing.T) {
	cfg := basicConfig()
	cfg.Hosts[0].Routes["@chat"] = "json"
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c := s.Dial(t)
		c.Write("@chat {\"type\":\"ping\"}\x00@chat {\"msg\":\"hello\"}\x00")
		m := h.Wait(t, 1)[0]
		o.message(m)
		h.Reply([]string{m.ID}, []byte(`{"echo":1}`+"\x00"))
		h.Reply([]string{m.ID}, []byte(`{"a":2}`))
		want := "eyJlY2hvIjoxfQ==eyJhIjoyfQ=="
		expectOpen(t, "base64 replies", o.client(c.Read(harness.UntilBytes(len(want)))), want)
		expectQuiet(t, h, 1)
	})
}

// TestFlashPolicy: the policy request is answered directly and closed.
func TestFlashPolicy(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		c := s.Dial(t)
		c.Write("<policy-file-request/>\x00")
		tr := o.client(c.Read(harness.UntilClose))
		if !tr.Closed || len(tr.Data) == 0 || tr.Data[len(tr.Data)-1] != 0 {
			t.Errorf("policy reply %q closed=%v", tr.Data, tr.Closed)
		}
	})
}

// TestJSONMessageWithoutRoute: a socket message with no route gets the
// canned 404 and is closed (spec §2.7).
func TestJSONMessageWithoutRoute(t *testing.T) {
	cfg := basicConfig()
	delete(cfg.Hosts[0].Routes, "/")
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		c := s.Dial(t)
		c.Write("@nowhere {}\x00")
		o.client(c.Read(harness.UntilClose))
	})
}
