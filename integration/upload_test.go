package integration

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bareku/bareku/integration/harness"
)

// TestTempFileUpload: a body over limits.content_length (and a chunked
// one) goes to a temp file made from upload.temp_store; the handler gets
// the request with x-mongrel2-upload-start before the body is read, and
// again with x-mongrel2-upload-done once the file is complete (spec §2.5).
// The temp file names are random, so they are compared by content.
func TestTempFileUpload(t *testing.T) {
	cfg := basicConfig()
	// limits.content_length stays above limits.buffer_size: below it,
	// Mongrel2 1.12.2 corrupts uploads (spec §2.5, verified here too).
	cfg.Settings = map[string]string{"limits.content_length": "5000", "upload.temp_store": "upload.XXXXXX"}
	body := strings.Repeat("abcdefghij", 2000)
	compareImpls(t, serverImpls(), func(t *testing.T, impl harness.Impl, o *outcome) {
		s := harness.Start(t, impl, cfg)
		h := s.Handler(t, "json")
		for i, req := range []string{
			"POST /handler/up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20000\r\n\r\n" + body,
			"POST /handler/up HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		} {
			seen := len(h.Messages())
			c := s.Dial(t)
			c.Write(req)
			ms := h.Wait(t, seen+2)[seen:]
			start, done := ms[0].Headers["x-mongrel2-upload-start"], ms[1].Headers["x-mongrel2-upload-done"]
			if len(start.Values) != 1 || len(done.Values) != 1 || done.Values[0] != start.Values[0] ||
				len(ms[0].Headers["x-mongrel2-upload-done"].Values) != 0 || len(ms[0].Body) != 0 || len(ms[1].Body) != 0 {
				t.Fatalf("upload %d messages:\n%s\n%s", i, ms[0].Raw, ms[1].Raw)
			}
			path := start.Values[0]
			if !filepath.IsAbs(path) {
				path = filepath.Join(s.Dir, path)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(got)
			o.fact("file "+string(rune('0'+i)), fmt.Sprintf("%d bytes, sha256 %x", len(got), sum))
			var keys []string
			for k := range ms[1].Headers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			o.fact("second message keys "+string(rune('0'+i)), strings.Join(keys, ","))
			h.Reply([]string{ms[0].ID}, nil)
			o.client(c.Read(harness.UntilClose))
		}
	})
}

// TestStreamedUpload: with upload.stream=1 the handler gets the request
// with UPLOAD_STREAM "0" and the body bytes already buffered, then one
// message per credit grant carrying only UPLOAD_STREAM (the offset) and,
// last, UPLOAD_STREAM_DONE (spec §2.5, captured sequence there).
func TestStreamedUpload(t *testing.T) {
	cfg := basicConfig()
	cfg.Settings = map[string]string{"limits.content_length": "5000", "upload.stream": "1"}
	body := strings.Repeat("B", 12000)
	differential(t, cfg, func(t *testing.T, s *harness.Server, o *outcome) {
		h := s.Handler(t, "json")
		c := s.Dial(t)
		c.Write("POST /handler/stream HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12000\r\n\r\n" + body)
		first := h.Wait(t, 1)[0]
		got := len(first.Body)
		o.fact("first message keys", headerKeys(first))
		credits := harness.TNetList(harness.TNetString("ctl") + harness.TNetDict(harness.TNetString("credits")+harness.TNetInt(4096)))
		for i := 2; got < len(body) && i < 10; i++ {
			idList := "X " + first.ID
			h.Send([]byte(jsonIdent + " " + fmt.Sprint(len(idList)) + ":" + idList + ", " + credits))
			m := h.Wait(t, i)[i-1]
			o.fact(fmt.Sprintf("message %d", i), fmt.Sprintf("%s %d bytes", m.HeadersRaw, len(m.Body)))
			got += len(m.Body)
		}
		if got != len(body) {
			t.Fatalf("received %d of %d bytes", got, len(body))
		}
	})
}

func headerKeys(m *harness.Message) string {
	var keys []string
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
