package spec

import (
	"encoding/json"
	"testing"
)

// FuzzParseWorker checks that any bytes either fail cleanly or give a
// list that survives a round trip through the file format the client
// writes.
func FuzzParseWorker(f *testing.F) {
	f.Add([]byte(`{"procs": [{"name": "web", "count": 2, "command": "/srv/web", "args": ["-p"], "env": {"A": "b"}, "graceful_timeout": "3s"}], "version": 3}`))
	f.Add([]byte(`{"procs": [{"name": "web", "command": "x", "colour": 1}]}`))
	f.Add([]byte(`{"tick": "1ms", "procs": null}`))
	f.Add([]byte(`{"procs": [{"name": "web", "count": 3, "command": "/srv/web", "switch_command": ["/bin/sw", "b"], "drain_time": "2s", "switch_timeout": "5s"}]}`))
	f.Add([]byte(`{"procs": [{"name": "a.1", "command": "x"}, {"name": "a", "count": 1, "command": "y"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWorker(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(map[string]any{"version": w.Version, "procs": w.Procs})
		if err != nil {
			t.Fatal(err)
		}
		w2, err := ParseWorker(out)
		if err != nil {
			t.Fatalf("re-encoded list rejected: %v\n%s", err, out)
		}
		if len(w2.Procs) != len(w.Procs) {
			t.Fatalf("round trip changed the list: %d -> %d", len(w.Procs), len(w2.Procs))
		}
		for i := range w.Procs {
			if w.Procs[i].Hash() != w2.Procs[i].Hash() {
				t.Fatalf("round trip changed %s", w.Procs[i].Name)
			}
		}
	})
}

func FuzzParseMaster(f *testing.F) {
	f.Add([]byte(`{"master_updates": "tcp://*:1", "master_stats": "tcp://*:2", "nodes": {"app1": [{"name": "web", "command": "x", "count": 3}], "app10": []}}`))
	f.Add([]byte(`{"master_updates": "a", "master_stats": "b", "nodes": {"": []}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMaster(b)
		if err != nil {
			return
		}
		for n, procs := range m.Nodes {
			if !ValidNode(n) {
				t.Fatalf("accepted node name %q", n)
			}
			seen := map[string]bool{}
			for _, p := range Expand(procs) {
				if seen[p.Name] {
					t.Fatalf("duplicate %q", p.Name)
				}
				seen[p.Name] = true
			}
		}
	})
}
