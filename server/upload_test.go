package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bareku/bareku/protocol/m2"
	tns "github.com/bareku/bareku/protocol/tnetstring"
)

func TestTempFileUploads(t *testing.T) {
	dir := t.TempDir()
	ts := startTestServer(t, map[string]string{
		"limits.content_length":  "1000",
		"upload.temp_store":      filepath.Join(dir, "upload.XXXXXX"),
		"upload.temp_store_mode": "0640",
	})
	h := ts.handler()
	// recv skips the disconnect events of connections closed by earlier
	// cases.
	recv := func() *m2.Message {
		for {
			if m := h.recv(); !m.IsDisconnect() {
				return m
			}
		}
	}
	body := strings.Repeat("0123456789", 3000)
	tests := []struct {
		name, req, want string
	}{
		{"content-length", "POST /handler/up HTTP/1.1\r\nContent-Length: 30000\r\n\r\n" + body, body},
		{"chunked", "POST /handler/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", "hello world"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			write(t, c, tc.req+"GET /handler/after HTTP/1.1\r\n\r\n")
			first := recv()
			path := first.Header("x-mongrel2-upload-start")
			if path == "" || len(first.Body) != 0 || first.Header("x-mongrel2-upload-done") != "" {
				t.Fatalf("first message: start %q done %q body %d", path, first.Header("x-mongrel2-upload-done"), len(first.Body))
			}
			second := recv()
			if second.Header("x-mongrel2-upload-start") != path || second.Header("x-mongrel2-upload-done") != path || second.ID != first.ID {
				t.Fatalf("second message: %v", second.Headers)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tc.want {
				t.Fatalf("file %s: %d bytes, %v", path, len(got), err)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640", fi.Mode().Perm())
			}
			// The request after the body is parsed normally.
			if next := recv(); next.Path != "/handler/after" {
				t.Fatalf("next request %q", next.Path)
			}
			os.Remove(path)
		})
	}
	// A client that goes away mid-body leaves no file behind.
	c := dial(t, ts.addr)
	write(t, c, "POST /handler/up HTTP/1.1\r\nContent-Length: 30000\r\n\r\n"+body[:5000])
	first := recv()
	path := first.Header("x-mongrel2-upload-start")
	c.Close()
	for m := h.recv(); !(m.IsDisconnect() && m.ID == first.ID); m = h.recv() {
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("aborted upload left %s (%v)", path, err)
	}
}

func TestStreamedUpload(t *testing.T) {
	ts := startTestServer(t, map[string]string{"limits.content_length": "1000", "upload.stream": "1"})
	h := ts.handler()
	// Make sure the handler's PUB socket is subscribed before credits are
	// sent: a reply before that is dropped by ZeroMQ.
	warm := dial(t, ts.addr)
	write(t, warm, "GET /handler/warm HTTP/1.1\r\n\r\n")
	h.firstReply(warm, "w", h.recv().ID)
	body := strings.Repeat("B", 12000)
	c := dial(t, ts.addr)
	head := "POST /handler/stream HTTP/1.1\r\nContent-Length: 12000\r\n\r\n"
	write(t, c, head+body[:3000])
	first := h.recv()
	if first.Header("UPLOAD_STREAM") != "0" || first.Header("METHOD") != "POST" || len(first.Body) == 0 {
		t.Fatalf("first message: %v body %d", first.Headers, len(first.Body))
	}
	got := len(first.Body)
	write(t, c, body[3000:])
	credits := tns.Dict(tns.KV("credits", tns.Int(4096)))
	for got < len(body) {
		h.send(m2.AppendExtendedReply(nil, testIdent, []uint64{first.ID}, "ctl", credits))
		m := h.recv()
		if m.Header("UPLOAD_STREAM") != strconv.Itoa(got) || m.Header("METHOD") != "" || len(m.Body) > 4096 {
			t.Fatalf("stream message at %d: %v, %d bytes", got, m.Headers, len(m.Body))
		}
		got += len(m.Body)
		if (m.Header("UPLOAD_STREAM_DONE") == "1") != (got == len(body)) {
			t.Fatalf("done flag at %d: %v", got, m.Headers)
		}
	}
}
