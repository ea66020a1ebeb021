package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseWorkerErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not an object", `[]`, "not a JSON object"},
		{"syntax", `{"procs": [}`, "invalid JSON"},
		{"unknown top key", `{"procs": [], "colour": 1}`, `unknown key "colour"`},
		{"unknown proc key", `{"procs": [{"name": "web", "command": "x", "colour": 1}]}`, `procs[0]: unknown key "colour"`},
		{"bad duration", `{"procs": [{"name": "web", "command": "x", "graceful_timeout": "soon"}]}`, `procs[0]: key "graceful_timeout": bad duration "soon"`},
		{"duration as number", `{"procs": [{"name": "web", "command": "x", "ready_after": 5}]}`, `key "ready_after": want a duration string`},
		{"negative duration", `{"procs": [{"name": "web", "command": "x", "backoff_max": "-1s"}]}`, `key "backoff_max": negative duration`},
		{"bad restart", `{"procs": [{"name": "web", "command": "x", "restart": "sometimes"}]}`, `procs[0] (web): key "restart": "sometimes" is not one of`},
		{"bad signal", `{"procs": [{"name": "web", "command": "x", "stop_signal": "SIGFOO"}]}`, `procs[0] (web): key "stop_signal": unknown signal "SIGFOO"`},
		{"missing command", `{"procs": [{"name": "web"}]}`, `procs[0] (web): key "command": missing or empty`},
		{"bad name", `{"procs": [{"name": "../x", "command": "x"}]}`, `key "name": "../x" is not a process name`},
		{"second entry", `{"procs": [{"name": "a", "command": "x"}, {"name": "b", "command": "x", "args": "x"}]}`, `procs[1]: key "args": want []string, got JSON string`},
		{"duplicate", `{"procs": [{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]}`, `procs[1]: duplicate process name "a"`},
		{"duplicate after scaling", `{"procs": [{"name": "web", "command": "x", "count": 2}, {"name": "web.2", "command": "y"}]}`, `process name "web.2" appears twice`},
		{"negative count", `{"procs": [{"name": "web", "command": "x", "count": -1}]}`, `key "count": -1 is outside`},
		{"fractional count", `{"procs": [{"name": "web", "command": "x", "count": 1.5}]}`, `key "count": want an integer, got 1.5`},
		{"env name", `{"procs": [{"name": "web", "command": "x", "env": {"A=B": "1"}}]}`, `key "env": bad variable name "A=B"`},
		{"env value type", `{"procs": [{"name": "web", "command": "x", "env": {"A": 1}}]}`, `key "env": want string, got JSON number`},
		{"backoff order", `{"procs": [{"name": "web", "command": "x", "backoff_initial": "2m", "backoff_max": "1m"}]}`, `larger than backoff_max`},
		{"version type", `{"version": "3"}`, `key "version": want an integer, got "3"`},
		{"tick zero", `{"tick": "0s"}`, `key "tick": must be positive`},
		{"null name", `{"procs": [{"name": null, "command": "x"}]}`, `key "name": want a string, got null`},
		{"switch as string", `{"procs": [{"name": "web", "command": "x", "switch_command": "x"}]}`, `procs[0]: key "switch_command": want []string, got JSON string`},
		{"switch empty program", `{"procs": [{"name": "web", "command": "x", "switch_command": [""]}]}`, `procs[0] (web): key "switch_command": empty program name`},
		{"drain without switch", `{"procs": [{"name": "web", "command": "x", "drain_time": "2s"}]}`, `procs[0] (web): key "drain_time": only used with switch_command`},
		{"switch timeout without switch", `{"procs": [{"name": "web", "command": "x", "switch_timeout": "2s"}]}`, `procs[0] (web): key "switch_timeout": only used with switch_command`},
		{"bad drain", `{"procs": [{"name": "web", "command": "x", "switch_command": ["s"], "drain_time": "-1s"}]}`, `procs[0]: key "drain_time": negative duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWorker([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseWorker(%s) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "worker.json")
	os.WriteFile(path, []byte(`{"procs": [{"name": "web", "command": "x", "user": 3}]}`), 0o644)
	_, err := LoadWorker(path)
	want := "spec: " + path + `: procs[0]: key "user": want string, got JSON number`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestParseWorker(t *testing.T) {
	w, err := ParseWorker([]byte(`{
		"pid_file": "/run/w.pid", "tick": "100ms", "version": 7, "node": "app1",
		"procs": [
			{"name": "web", "count": 2, "command": "/srv/web", "args": ["-p", "1"], "env": {"A": "b"},
			 "user": "www", "stop_signal": "SIGQUIT", "graceful_timeout": "3s", "restart": "on-failure"},
			{"name": "clock", "command": "/srv/clock"}
		]}`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Version != 7 || w.Tick.D() != 100*time.Millisecond || w.PidFile != "/run/w.pid" || w.Node != "app1" {
		t.Errorf("top-level keys: %+v", w)
	}
	var names, types []string
	for _, p := range w.Procs {
		names, types = append(names, p.Name), append(types, p.Type)
	}
	if !reflect.DeepEqual(names, []string{"web.1", "web.2", "clock"}) || !reflect.DeepEqual(types, []string{"web", "web", "clock"}) {
		t.Errorf("expanded to %v %v", names, types)
	}
	web := w.Procs[0]
	if web.User != "www" || web.StopSignal != "SIGQUIT" || web.GracefulTimeout.D() != 3*time.Second || web.Env["A"] != "b" || web.Count != nil {
		t.Errorf("web.1 = %+v", web)
	}
	d := w.Procs[2].WithDefaults()
	if d.User != "nobody" || d.StopSignal != "TERM" || d.Restart != RestartAlways || d.GracefulTimeout != DefaultGracefulTimeout || d.ReadyAfter != DefaultReadyAfter {
		t.Errorf("defaults: %+v", d)
	}
}

func TestSwitchDefaults(t *testing.T) {
	tests := []struct {
		name                 string
		in                   string
		drain, switchTimeout time.Duration
	}{
		{"no switch", `{"name": "web", "command": "x"}`, 0, 0},
		{"switch", `{"name": "web", "command": "x", "switch_command": ["/bin/switch", "b"]}`, time.Second, 10 * time.Second},
		{"switch with times", `{"name": "web", "command": "x", "switch_command": ["s"], "drain_time": "3s", "switch_timeout": "1m"}`, 3 * time.Second, time.Minute},
		{"empty switch is none", `{"name": "web", "command": "x", "switch_command": []}`, 0, 0},
	}
	for _, tt := range tests {
		w, err := ParseWorker([]byte(`{"procs": [` + tt.in + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		p := w.Procs[0].WithDefaults()
		if p.DrainTime.D() != tt.drain || p.SwitchTimeout.D() != tt.switchTimeout {
			t.Errorf("%s: drain_time %v switch_timeout %v, want %v %v", tt.name, p.DrainTime, p.SwitchTimeout, tt.drain, tt.switchTimeout)
		}
	}
}

// TestSwitchCarriedToWorker follows the hand-over keys from the master's
// file to the worker's: the master expands and marshals its types, the
// client writes them into the worker's file, the worker parses them.
func TestSwitchCarriedToWorker(t *testing.T) {
	m, err := ParseMaster([]byte(`{"master_updates": "tcp://*:1", "master_stats": "tcp://*:2", "nodes": {"app1": [
		{"name": "web", "count": 2, "command": "/srv/web", "switch_command": ["/usr/local/bin/m2switch", "b"], "drain_time": "2s", "switch_timeout": "5s"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"procs": Expand(m.Nodes["app1"])})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorker(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(w.Procs) != 2 {
		t.Fatalf("%d processes", len(w.Procs))
	}
	for _, p := range w.Procs {
		if !reflect.DeepEqual(p.SwitchCommand, []string{"/usr/local/bin/m2switch", "b"}) || p.DrainTime.D() != 2*time.Second || p.SwitchTimeout.D() != 5*time.Second {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
}

func TestParseClient(t *testing.T) {
	base := `"master_stats": "tcp://m:31123", "master_updates": "tcp://m:31124", "conf_file": "/etc/w.json"`
	tests := []struct {
		in, node, err string
	}{
		{`{` + base + `, "node_name": "%H"}`, "host7", ""},
		{`{` + base + `, "node_name": "app-%H"}`, "app-host7", ""},
		{`{` + base + `}`, "host7", ""},
		{`{` + base + `, "node_name": "a b"}`, "", `key "node_name": "a b" is not a node name`},
		{`{"master_updates": "x", "conf_file": "y"}`, "", `key "master_stats": required`},
		{`{` + base + `, "heartbeat_interval": "1x"}`, "", `key "heartbeat_interval": bad duration "1x"`},
		{`{` + base + `, "pidfile": "x"}`, "", `unknown key "pidfile"`},
	}
	for _, tt := range tests {
		c, err := ParseClient([]byte(tt.in), "host7")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseClient(%s) = %v, want error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || c.NodeName != tt.node {
			t.Errorf("ParseClient(%s) = %+v, %v; want node %q", tt.in, c, err, tt.node)
		}
	}
}

func TestParseMaster(t *testing.T) {
	base := `"master_updates": "tcp://*:31124", "master_stats": "tcp://*:31123"`
	m, err := ParseMaster([]byte(`{` + base + `, "nodes": {"app1": [{"name": "web", "command": "x", "count": 3}], "app10": []}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 2 || *m.Nodes["app1"][0].Count != 3 || m.RepublishInterval != DefaultRepublishInterval {
		t.Errorf("%+v", m)
	}
	errs := []struct{ in, want string }{
		{`{` + base + `, "nodes": {"app1": [{"name": "web"}]}}`, `key "nodes": app1[0] (web): key "command": missing or empty`},
		{`{` + base + `, "nodes": {"app1": [{"name": "web", "command": "x", "cpu": 1}]}}`, `key "nodes": app1[0]: unknown key "cpu"`},
		{`{` + base + `, "nodes": {"a\u0000b": []}}`, `is not a node name`},
		{`{` + base + `, "nodes": []}`, `key "nodes": want an object`},
		{`{"master_stats": "x"}`, `"master_updates" and "master_stats" are required`},
		{`{` + base + `, "node_timeout": "0s"}`, `key "node_timeout": must be positive`},
	}
	for _, tt := range errs {
		if _, err := ParseMaster([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMaster(%s) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	got := Expand([]Proc{{Name: "web", Count: count(3)}, {Name: "clock"}, {Name: "q", Count: count(1)}, {Name: "off", Count: count(0)}})
	var names []string
	for _, p := range got {
		names = append(names, p.Name+"/"+p.Type)
	}
	want := []string{"web.1/web", "web.2/web", "web.3/web", "clock/clock", "q.1/q"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Expand = %v, want %v", names, want)
	}
}

func TestHash(t *testing.T) {
	p := Proc{Name: "web", Command: "/srv/web", Args: []string{"a"}}
	explicit := p
	explicit.User, explicit.StopSignal, explicit.GracefulTimeout = "nobody", "TERM", DefaultGracefulTimeout
	if p.Hash() != explicit.Hash() {
		t.Error("spelling out a default changed the hash")
	}
	// A description without the hand-over keys marshals as it did before
	// they existed, so a worker upgrade does not reload every process.
	if b, _ := json.Marshal(p.WithDefaults()); strings.Contains(string(b), "switch") || strings.Contains(string(b), "drain") {
		t.Errorf("hand-over keys in a description without them: %s", b)
	}
	for _, change := range []func(*Proc){
		func(q *Proc) { q.SwitchCommand = []string{"s"} },
		func(q *Proc) { q.Args = []string{"b"} },
		func(q *Proc) { q.Env = map[string]string{"V": "2"} },
		func(q *Proc) { q.Command = "/srv/web2" },
		func(q *Proc) { q.User = "www" },
	} {
		q := p
		change(&q)
		if q.Hash() == p.Hash() {
			t.Errorf("%+v hashes like %+v", q, p)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for _, s := range []string{"TERM", "SIGTERM", "QUIT", "SIGKILL", "INT", "HUP", "USR1", "USR2", "WINCH"} {
		if _, err := ParseSignal(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "SIG", "term", "15", "SIGSEGV"} {
		if _, err := ParseSignal(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, content := range []string{"one", "two"} {
		if err := WriteFileAtomic(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if string(b) != content || fi.Mode().Perm() != 0o600 {
			t.Errorf("content %q mode %v", b, fi.Mode())
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func count(n int) *int { return &n }
