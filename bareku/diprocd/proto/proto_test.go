package proto

import (
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/spec"
)

func TestUpdateFraming(t *testing.T) {
	u := Update{Node: "app1", Version: 3, GeneratedAt: time.Unix(1700000000, 0).UTC(), Procs: []spec.Proc{{Name: "web.1", Type: "web", Command: "/srv/web"}}}
	b, err := EncodeUpdate(u)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "app1\x00{") {
		t.Fatalf("frame starts %q", b[:8])
	}
	// ZeroMQ subscriptions are byte prefixes: app10's topic must not
	// select app1's frames, nor app1's topic app10's.
	b10, _ := EncodeUpdate(Update{Node: "app10", Version: 1})
	if strings.HasPrefix(string(b10), Topic("app1")) || strings.HasPrefix(string(b), Topic("app10")) {
		t.Fatal("topics of app1 and app10 overlap")
	}
	if !strings.HasPrefix(string(b), Topic("app1")) {
		t.Fatal("app1's topic does not select its own frame")
	}
	got, err := DecodeUpdate(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Node != u.Node || got.Version != 3 || !got.GeneratedAt.Equal(u.GeneratedAt) || len(got.Procs) != 1 || got.Procs[0].Command != "/srv/web" {
		t.Errorf("round trip: %+v", got)
	}
}

func TestDecodeUpdateErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`{"node":"app1","version":1}`,
		"\x00{\"node\":\"\",\"version\":1}",
		"app1\x00{\"node\":\"app10\",\"version\":1}",
		"app1\x00{\"node\":\"app1\",\"version\":0}",
		"app1\x00{\"node\":\"app1\",\"version\":-4}",
		"app1\x00not json",
	} {
		if u, err := DecodeUpdate([]byte(in)); err == nil {
			t.Errorf("DecodeUpdate(%q) = %+v, want an error", in, u)
		}
	}
}

func TestDecodeHeartbeat(t *testing.T) {
	h, err := DecodeHeartbeat([]byte(`{"node":"app1","version":4,"worker_alive":true,"procs":[{"name":"web.1","state":"running","pid":10,"restarts":2}]}`))
	if err != nil || h.Node != "app1" || h.Version != 4 || !h.WorkerAlive || h.Procs[0].Restarts != 2 {
		t.Errorf("%+v, %v", h, err)
	}
	for _, in := range []string{`{}`, `{"node":"a b"}`, `[`, `{"node":"app1","version":"x"}`} {
		if _, err := DecodeHeartbeat([]byte(in)); err == nil {
			t.Errorf("DecodeHeartbeat(%s) accepted", in)
		}
	}
}
