package diprocd_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/bareku/diprocd"
	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
)

const scaleConf = `{"master_updates": "tcp://*:1", "master_stats": "tcp://*:2", "nodes": {
  "app1": [{"name": "web", "command": "/srv/web"}, {"name": "worker", "command": "/srv/q", "count": 2}],
  "app2": [{"name": "web", "command": "/srv/web", "count": 1}]}}`

func TestScale(t *testing.T) {
	tests := []struct {
		name   string
		node   string
		counts map[string]int
		lines  []string
		want   map[string][]string // node -> expanded names
		err    string
	}{
		{"every node", "", map[string]int{"web": 3}, []string{"Scale web to 3 processes on app1.", "Scale web to 3 processes on app2."},
			map[string][]string{"app1": {"web.1", "web.2", "web.3", "worker.1", "worker.2"}, "app2": {"web.1", "web.2", "web.3"}}, ""},
		{"one node", "app2", map[string]int{"web": 2}, []string{"Scale web to 2 processes on app2."},
			map[string][]string{"app1": {"web", "worker.1", "worker.2"}, "app2": {"web.1", "web.2"}}, ""},
		{"to zero", "app1", map[string]int{"worker": 0}, []string{"Scale worker to 0 processes on app1."},
			map[string][]string{"app1": {"web"}, "app2": {"web.1"}}, ""},
		{"unknown type", "", map[string]int{"clock": 1}, nil, nil, `no process type "clock"`},
		{"unknown node", "app3", map[string]int{"web": 1}, nil, nil, `no node "app3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, lines, err := diprocd.Scale([]byte(scaleConf), tt.node, tt.counts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lines, tt.lines) {
				t.Errorf("lines %q, want %q", lines, tt.lines)
			}
			m, err := spec.ParseMaster(out)
			if err != nil {
				t.Fatal(err)
			}
			for node, want := range tt.want {
				var got []string
				for _, p := range spec.Expand(m.Nodes[node]) {
					got = append(got, p.Name)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s: %v, want %v", node, got, want)
				}
			}
		})
	}
}

func TestPrintStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	st := proto.Status{Time: now, Nodes: []proto.NodeStatus{
		{Name: "app1", State: "up", Version: 4, Applied: 4, LastHeartbeat: now.Add(-700 * time.Millisecond), WorkerAlive: true, Procs: []proto.ProcStatus{
			{Name: "web.1", State: "running", PID: 321, Restarts: 1, UptimeSec: 65, RSSBytes: 5 << 20, CPUSeconds: 1.25, CPUPercent: 3},
			{Name: "crash", State: "crashloop", Restarts: 7, NextStartIn: 3.2, LastError: "exited (code 1) after 5ms"},
			{Name: "api.1", State: "reload-failed", PID: 400, NextStartIn: 2, LastError: "switch_command failed: exit status 1"},
		}},
		{Name: "app10", State: "never-seen", Version: 1},
	}}
	var b bytes.Buffer
	if err := diprocd.PrintStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := [][]string{
		{"app1", "up", "heartbeat 700ms ago", "version 4 (applied 4)", "worker up"},
		{"  web.1", "running", "restarts 1", "pid 321", "up 1m5s", "rss 5.0M", "cpu 1.2s (3%)"},
		{"  crash", "crashloop", "restarts 7", "next start in 3.2s", "exited (code 1) after 5ms"},
		{"  api.1", "reload-failed", "pid 400", "retry in 2.0s", "switch_command failed: exit status 1"},
		{"app10", "never-seen", "heartbeat never", "version 1 (applied 0)", "worker down"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	for i, parts := range want {
		for _, p := range parts {
			if !strings.Contains(lines[i], p) {
				t.Errorf("line %d %q lacks %q", i, lines[i], p)
			}
		}
	}
}

func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := diprocd.Main(nil, &out, &errb); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	if code := diprocd.Main([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := diprocd.Main([]string{"worker"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "-config is required") {
		t.Errorf("worker without config: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := diprocd.Main([]string{"worker", "-config", "/nonexistent/w.json"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "/nonexistent/w.json") {
		t.Errorf("missing file: exit %d, %s", code, errb.String())
	}
}
