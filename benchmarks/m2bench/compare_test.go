package m2bench

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7, 7, 1}, 7},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCompare runs a fast and a slow server (1 ms per request) and checks
// the ratios say which is which.
func TestCompare(t *testing.T) {
	fast := newCountingServer(t, nil)
	slow := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte("ok"))
	})
	var log bytes.Buffer
	o := CompareOptions{
		HTTPOptions: HTTPOptions{Workload: Workload{Connections: 2, Duration: 250 * time.Millisecond}},
		URLs:        [2]string{slow.URL, fast.URL},
		Names:       [2]string{"slow", ""},
		Rounds:      3,
		Settle:      10 * time.Millisecond,
	}
	c, err := Compare(context.Background(), o, &log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rounds[0]) != 3 || len(c.Rounds[1]) != 3 {
		t.Fatalf("rounds %d and %d, want 3 each", len(c.Rounds[0]), len(c.Rounds[1]))
	}
	if c.Names != [2]string{"slow", "B"} {
		t.Errorf("names %q", c.Names)
	}
	if c.Ratio.Throughput <= 1.2 || c.Ratio.P50 >= 0.8 {
		t.Errorf("fast/slow ratios %+v: want more throughput and lower p50 for the fast server", c.Ratio)
	}
	if lines := strings.Count(log.String(), "\n"); lines != 6 {
		t.Errorf("%d log lines, want one per run:\n%s", lines, log.String())
	}
	// Odd rounds run A first, even ones B first.
	if !strings.HasPrefix(log.String(), "round 1/3 slow") || !strings.Contains(log.String(), "round 2/3 B") {
		t.Errorf("run order:\n%s", log.String())
	}
	var text, js bytes.Buffer
	if err := c.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"medians over 3 rounds", "B/slow", "throughput req/s", "p99 ms"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, text.String())
		}
	}
	if err := c.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Names  []string
		Rounds [][]map[string]any
		Ratio  map[string]float64
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rounds) != 2 || len(back.Rounds[1]) != 3 || back.Ratio["throughput"] != c.Ratio.Throughput {
		t.Errorf("JSON round trip: %+v", back)
	}
	if c.Merged[1].Requests != c.Rounds[1][0].Requests+c.Rounds[1][1].Requests+c.Rounds[1][2].Requests {
		t.Errorf("merged requests %d do not add up", c.Merged[1].Requests)
	}
}
