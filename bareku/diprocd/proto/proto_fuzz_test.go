package proto

import (
	"strings"
	"testing"
)

func FuzzDecodeUpdate(f *testing.F) {
	f.Add([]byte("app1\x00{\"node\":\"app1\",\"version\":3,\"generated_at\":\"2026-11-27T16:00:00Z\",\"procs\":[{\"name\":\"web.1\",\"type\":\"web\",\"command\":\"/srv/web\"}]}"))
	f.Add([]byte("app10\x00{\"node\":\"app1\",\"version\":3}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUpdate(b)
		if err != nil {
			return
		}
		if !strings.HasPrefix(string(b), Topic(u.Node)) || u.Version <= 0 {
			t.Fatalf("accepted %q as %+v", b, u)
		}
		if _, err := EncodeUpdate(u); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecodeHeartbeat(f *testing.F) {
	f.Add([]byte(`{"node":"app1","version":4,"worker_alive":true,"procs":[{"name":"web.1","state":"running","pid":10}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeartbeat(b)
		if err == nil && (h.Node == "" || strings.ContainsAny(h.Node, "\x00 ")) {
			t.Fatalf("accepted node %q", h.Node)
		}
	})
}
