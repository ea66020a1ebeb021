package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/integration/harness"
)

// Disconnect events after the `UUID SP ID SP` prefix (spec §2.4).
const (
	jsonDisconnect = `@* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},`
	tnetDisconnect = `@* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},`
)

// request opens a connection, sends a GET for path and returns the
// connection with the message the handler got for it.
func request(t *testing.T, s *harness.Server, h *harness.Handler, path string) (*harness.Conn, *harness.Message) {
	t.Helper()
	seen := len(h.Messages())
	c := s.Dial(t)
	c.Write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	return c, h.Wait(t, seen+1)[seen]
}

// expectQuiet asserts that the handler got no message beyond the first n.
func expectQuiet(t *testing.T, h *harness.Handler, n int) {
	t.Helper()
	if got := h.Settle(settle); len(got) != n {
		t.Errorf("handler %s got %d messages, want %d:%s", h.Name, len(got), n, raws(got))
	}
}

// TestMultiTargetReply: one reply listing two ids reaches both clients; an id
// listed twice gets the body twice; an empty body closes every listed
// connection, and the handler hears no disconnect for closes it asked for
// (spec §2.8, §2.4).
func TestMultiTargetReply(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c1, m1 := request(t, s, h, "/handler/1")
		c2, m2 := request(t, s, h, "/handler/2")
		o.message(m1, m2)
		h.Reply([]string{m1.ID, m2.ID}, []byte(okResponse))
		expectOpen(t, "first target", o.client(c1.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		expectOpen(t, "second target", o.client(c2.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		h.Reply([]string{m1.ID, m1.ID}, []byte(okResponse))
		expectOpen(t, "id listed twice", o.client(c1.Read(harness.UntilBytes(2*len(okResponse)))), okResponse+okResponse)
		h.Reply([]string{m1.ID, m2.ID}, nil)
		expectCanned(t, "empty reply, first", o.client(c1.Read(harness.UntilClose)), "")
		expectCanned(t, "empty reply, second", o.client(c2.Read(harness.UntilClose)), "")
		expectQuiet(t, h, 2)
	})
}

// TestEmptyReplyFlushes: an empty reply closes the connection only after the
// replies queued before it were written (spec §2.8).
func TestEmptyReplyFlushes(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c, m := request(t, s, h, "/handler")
		o.message(m)
		big := strings.Repeat("x", 100000)
		h.Reply([]string{m.ID}, []byte("first "))
		h.Reply([]string{m.ID}, []byte(big))
		h.Reply([]string{m.ID}, nil)
		expectCanned(t, "flushed then closed", o.client(c.Read(harness.UntilClose)), "first "+big)
		expectQuiet(t, h, 1)
	})
}

// TestClientCloseDisconnect: when a client that talked to a handler goes
// away, the handler gets the disconnect event in its own header encoding,
// byte for byte (spec §2.4).
func TestClientCloseDisconnect(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		for _, tc := range []struct{ handler, path, ident, event string }{
			{"json", "/handler", jsonIdent, jsonDisconnect},
			{"tnet", "/tnet", tnetIdent, tnetDisconnect},
		} {
			h := s.Handler(t, tc.handler)
			c, m := request(t, s, h, tc.path)
			c.Close()
			ev := h.Wait(t, 2)[1]
			o.message(m, ev)
			if want := tc.ident + " " + m.ID + " " + tc.event; string(ev.Raw) != want {
				t.Errorf("%s disconnect event:\n got %q\nwant %q", tc.handler, ev.Raw, want)
			}
		}

		// One connection talks to the JSON handler, then the tnetstring
		// one: only the last handler hears of the disconnect.
		jh, th := s.Handler(t, "json"), s.Handler(t, "tnet")
		jh.OnMessage(harness.Respond(okResponse))
		jseen, tseen := len(jh.Messages()), len(th.Messages())
		c := s.Dial(t)
		c.Write("GET /handler/first HTTP/1.1\r\nHost: localhost\r\n\r\n")
		expectOpen(t, "first request", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		c.Write("GET /tnet/second HTTP/1.1\r\nHost: localhost\r\n\r\n")
		second := th.Wait(t, tseen+1)[tseen]
		c.Close()
		ev := th.Wait(t, tseen+2)[tseen+1]
		o.message(jh.Messages()[jseen:]...)
		o.message(second, ev)
		if want := tnetIdent + " " + second.ID + " " + tnetDisconnect; string(ev.Raw) != want {
			t.Errorf("last handler's disconnect event:\n got %q\nwant %q", ev.Raw, want)
		}
		expectQuiet(t, jh, jseen+1)
	})
}

// TestUnknownID: a reply to an id that is not connected is answered with a
// disconnect event for that id, except for a ctl cancel (spec §2.4).
func TestUnknownID(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		for _, tc := range []struct{ handler, ident, event string }{
			{"json", jsonIdent, jsonDisconnect},
			{"tnet", tnetIdent, tnetDisconnect},
		} {
			h := s.Handler(t, tc.handler)
			h.Control([]string{"99998"}, "cancel")
			h.Reply([]string{"99999"}, []byte(okResponse))
			ev := h.Wait(t, 1)[0]
			o.message(ev)
			if want := tc.ident + " 99999 " + tc.event; string(ev.Raw) != want {
				t.Errorf("%s: got %q, want %q", tc.handler, ev.Raw, want)
			}
			expectQuiet(t, h, 1)
		}
	})
}

// TestLateHandler: a request routed to a handler nobody is connected to is
// neither failed nor dropped; it is delivered once a handler connects
// (spec §2.1).
func TestLateHandler(t *testing.T) {
	cfg := harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: map[string]string{"/late": "late"}}},
		Handlers: []harness.HandlerSpec{{Name: "late", Late: true}},
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		c := s.Dial(t)
		c.Write("GET /late HTTP/1.1\r\nHost: localhost\r\n\r\n")
		expectOpen(t, "while no handler is connected", o.client(c.Watch(settle)), "")
		h := s.StartHandler(t, "late")
		m := h.Wait(t, 1)[0]
		o.message(m)
		if m.Path != "/late" {
			t.Errorf("late handler got path %q, want /late", m.Path)
		}
		h.Reply([]string{m.ID}, []byte(okResponse))
		expectOpen(t, "answered", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
	})
}

// TestControlMessages covers extended `X` replies (spec §2.8): ctl
// keep-alive writes nothing and keeps the connection; ctl cancel closes it;
// an unknown key, or a ctl value that is not a dict, closes the target; a
// body that is not a two-element tnetstring list is ignored.
func TestControlMessages(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c, m := request(t, s, h, "/handler/ctl")
		h.Control([]string{m.ID}, "keep-alive")
		expectOpen(t, "after keep-alive", o.client(c.Watch(settle)), "")
		h.Reply([]string{m.ID}, []byte(okResponse))
		expectOpen(t, "reply after keep-alive", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		h.Control([]string{m.ID}, "cancel")
		expectCanned(t, "after cancel", o.client(c.Read(harness.UntilClose)), "")
		// Whether a cancel yields a disconnect event is not stated by the
		// spec; record it so the implementations are compared on it.
		o.fact("messages after cancel", len(h.Settle(settle))-1)

		c, m = request(t, s, h, "/handler/unknown-key")
		unknown := harness.TNetList(harness.TNetString("nosuch") + harness.TNetString("x"))
		h.Send(fmt.Appendf(nil, "%s %d:X %s, %s", jsonIdent, len(m.ID)+2, m.ID, unknown))
		expectCanned(t, "after an unknown X key", o.client(c.Read(harness.UntilClose)), "")

		c, m = request(t, s, h, "/handler/ctl-not-a-dict")
		notDict := harness.TNetList(harness.TNetString("ctl") + harness.TNetString("cancel"))
		h.Send(fmt.Appendf(nil, "%s %d:X %s, %s", jsonIdent, len(m.ID)+2, m.ID, notDict))
		expectCanned(t, "after a ctl value that is not a dict", o.client(c.Read(harness.UntilClose)), "")

		c, m = request(t, s, h, "/handler/garbage")
		h.Send(fmt.Appendf(nil, "%s %d:X %s, not a tnetstring", jsonIdent, len(m.ID)+2, m.ID))
		expectOpen(t, "after an unparsable X body", o.client(c.Watch(settle)), "")
		h.Reply([]string{m.ID}, []byte(okResponse))
		expectOpen(t, "reply after an unparsable X body", o.client(c.Read(harness.UntilBytes(len(okResponse)))), okResponse)
		o.message(h.Settle(settle)...)
	})
}

// TestInvalidReplies: replies that break the grammar (wrong id-list length,
// no space after the comma, `_` in the UUID, more ids than
// limits.handler_targets) are dropped; 128 ids are fine, a trailing space
// inside the id list is allowed, and any UUID passes when recv_ident is
// empty (spec §2.8, §2.4).
func TestInvalidReplies(t *testing.T) {
	differential(t, basicConfig(), func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c, m := request(t, s, h, "/handler")
		o.message(m)
		id := m.ID
		for _, bad := range []string{
			fmt.Sprintf("%s %d:%s, BAD-LENGTH", jsonIdent, len(id)+1, id),
			fmt.Sprintf("%s %d:%s,BAD-NO-SPACE", jsonIdent, len(id), id),
			fmt.Sprintf("bad_uuid %d:%s, BAD-UUID", len(id), id),
		} {
			h.Send([]byte(bad))
		}
		// limits.handler_targets is 128: the client's id plus 128 unknown
		// ids is one too many and the whole reply is dropped; with 127
		// unknown ids the client gets the body once and the handler one
		// disconnect event per unknown id. (Listing the client's id 128
		// times instead would overflow its 16-reply queue and close it.)
		unknown := make([]string, 128)
		for i := range unknown {
			unknown[i] = strconv.Itoa(900001 + i)
		}
		h.Reply(append([]string{id}, unknown...), []byte("BAD-TOO-MANY"))
		h.Reply(append([]string{id}, unknown[:127]...), []byte("128 "))
		h.Send(fmt.Appendf(nil, "%s %d:%s , %s", jsonIdent, len(id)+1, id, okResponse))
		h.Send(harness.AppendReply(nil, "any-Other-UUID-9", []string{id}, []byte(okResponse)))
		want := "128 " + okResponse + okResponse
		expectOpen(t, "only the valid replies", o.client(c.Read(harness.UntilBytes(len(want)))), want)
		events := h.Wait(t, 128)[1:]
		o.message(events...)
		for i, ev := range events {
			if want := jsonIdent + " " + unknown[i] + " " + jsonDisconnect; string(ev.Raw) != want {
				t.Errorf("event %d: got %q, want %q", i, ev.Raw, want)
				break
			}
		}
		expectQuiet(t, h, 128)
	})
}

// TestSubscriptionFilter: the only filter on replies is the SUB prefix
// subscription on recv_ident; the reply UUID is otherwise not compared to
// anything (spec §2.1, §2.8).
func TestSubscriptionFilter(t *testing.T) {
	cfg := harness.Config{
		Hosts:    []harness.Host{{Name: "localhost", Routes: map[string]string{"/": "sub"}}},
		Handlers: []harness.HandlerSpec{{Name: "sub", Ident: "sub-ident", RecvIdent: "sub-ident"}},
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "sub")
		c, m := request(t, s, h, "/")
		o.message(m)
		h.Send(harness.AppendReply(nil, "other-ident", []string{m.ID}, []byte("dropped ")))
		h.Send(harness.AppendReply(nil, "sub-ident-and-more", []string{m.ID}, []byte("prefix ")))
		h.Send(harness.AppendReply(nil, "sub-ident", []string{m.ID}, []byte("exact")))
		expectOpen(t, "filtered replies", o.client(c.Read(harness.UntilBytes(len("prefix exact")))), "prefix exact")
		expectQuiet(t, h, 1)
	})
}

// TestReaper: with min_ping=1 and the rate checks off, the reaper closes a
// connection waiting on a silent handler, and an idle one, without an HTTP
// response (spec §3.7). Spec §2.4 says Mongrel2 1.12.2 sends no disconnect
// event for reaped connections while an implementation may send one; so the
// event is asserted absent for Mongrel2 and only recorded for others.
func TestReaper(t *testing.T) {
	cfg := basicConfig()
	cfg.Settings = map[string]string{
		"limits.min_ping": "1", "limits.tick_timer": "1", "limits.kill_limit": "0",
		"limits.min_read_rate": "0", "limits.min_write_rate": "0",
	}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		idle := s.Dial(t)
		c, m := request(t, s, h, "/handler/wait")
		o.message(m)
		start := time.Now()
		expectCanned(t, "waiting on the handler", o.client(c.Watch(7*time.Second)), "")
		expectCanned(t, "idle", o.client(idle.Watch(7*time.Second)), "")
		// The clock the reaper compares is cached at one-second ticks, so
		// "idle for more than 1 s" is seen 2-4 s after the last request.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("reaped after %v, want within 5 s", d)
		}
		t.Logf("%s reaped after %v", s.Impl.Name, time.Since(start).Round(100*time.Millisecond))
		events := h.Settle(settle)[1:]
		if s.Impl.Name == oracleName && len(events) != 0 {
			t.Errorf("mongrel2 sent %d events for a reaped connection, spec §2.4 says none:%s", len(events), raws(events))
		}
		t.Logf("%s: %d disconnect events after reaping", s.Impl.Name, len(events))
	})
}

// TestDownloadFlowControl: with download.flow_control=1 the first request
// carries DOWNLOAD_CREDITS and every reply written to the client is
// followed by a credits event with the bytes written (spec §2.4).
func TestDownloadFlowControl(t *testing.T) {
	cfg := basicConfig()
	cfg.Settings = map[string]string{"download.flow_control": "1"}
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c, m := request(t, s, h, "/handler")
		o.message(m)
		h.Reply([]string{m.ID}, []byte(okResponse))
		o.client(c.Read(harness.UntilBytes(len(okResponse))))
		o.message(h.Wait(t, 2)[1])
		c.Write("GET /handler/2 HTTP/1.1\r\nHost: localhost\r\n\r\n")
		o.message(h.Wait(t, 3)[2])
		h.Reply([]string{m.ID}, []byte("more bytes"))
		o.client(c.Read(harness.UntilBytes(len("more bytes"))))
		o.message(h.Wait(t, 4)[3])
	})
}
