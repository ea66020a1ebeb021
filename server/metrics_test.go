package server

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metricValue finds one series line and returns its value text.
func metricValue(text, series string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsCountKnownRequests(t *testing.T) {
	ts := startTestServer(t, map[string]string{"metrics.address": "127.0.0.1:0"})
	addr := ts.srv.MetricsAddr()
	if addr == "" {
		t.Fatal("metrics are not served")
	}
	h := ts.handler()
	c := dial(t, ts.addr)
	write(t, c, "GET /handler/1 HTTP/1.1\r\n\r\n")
	m := h.recv()
	h.firstReply(c, "r1", m.ID)
	for i := 2; i <= 3; i++ {
		write(t, c, "GET /handler/x HTTP/1.1\r\n\r\n")
		h.recv()
		h.reply("rN", m.ID)
		readN(t, c, 2)
	}
	c404 := dial(t, ts.addr)
	write(t, c404, "GET /nothing HTTP/1.1\r\n\r\n")
	readAll(t, c404)
	c.Close()
	h.recvRaw() // the disconnect event

	deadline := time.Now().Add(3 * time.Second)
	var text string
	for time.Now().Before(deadline) {
		text = scrape(t, addr)
		if metricValue(text, `bareku_disconnects_total`) == "1" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	spec := ts.sendSpec
	for series, want := range map[string]string{
		`bareku_requests_total{host="localhost",route="/handler",target="handler"}`: "3",
		`bareku_canned_responses_total{code="404"}`:                                 "1",
		`bareku_disconnects_total`:                                                  "1",
		`bareku_handler_in_flight{handler="` + spec + `"}`:                          "0",
		`bareku_handler_latency_seconds_count{handler="` + spec + `"}`:              "3",
		`bareku_connections{kind="http"}`:                                           "0",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %s", series, got, want)
		}
	}
	// firstReply may retry until the subscription is up: at least 3 replies.
	if got := metricValue(text, `bareku_handler_replies_total{handler="`+spec+`"}`); got < "3" {
		t.Errorf("replies %q", got)
	}
	if !strings.Contains(text, "bareku_received_bytes_total") || metricValue(text, "bareku_sent_bytes_total") == "0" {
		t.Error("byte counters missing")
	}
}
