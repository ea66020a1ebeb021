package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Master is the master's configuration file.
type Master struct {
	Updates           string            // master_updates: PUB endpoint bound for process lists
	Stats             string            // master_stats: PULL endpoint bound for heartbeats
	Control           string            // master_control: REP endpoint for snapshots and status
	PidFile           string            // pid_file
	LogFile           string            // log_file
	StateFile         string            // state_file: versions survive restarts; default <file>.state
	PollInterval      Duration          // poll_interval: how often the file is checked for changes
	RepublishInterval Duration          // republish_interval: every node's list is sent again this often
	NodeTimeout       Duration          // node_timeout: a node without heartbeat for this long is down
	Nodes             map[string][]Proc // nodes: node name -> process types
}

// Client is the node client's configuration file.
type Client struct {
	PidFile           string   // pid_file
	LogFile           string   // log_file
	Stats             string   // master_stats: PUSH endpoint for heartbeats
	Updates           string   // master_updates: SUB endpoint for process lists
	Control           string   // master_control: REQ endpoint for the start-up snapshot (optional)
	NodeName          string   // node_name, "%H" replaced by the host name
	ConfFile          string   // conf_file: the worker's configuration file it rewrites
	HeartbeatInterval Duration // heartbeat_interval
}

// Worker is the worker's configuration file. Procs and Version are
// rewritten by the client; the other keys are the node operator's.
type Worker struct {
	PidFile    string   // pid_file
	LogFile    string   // log_file
	StateFile  string   // state_file: identities of running processes; default <file>.state
	StatusFile string   // status_file: process states for the client; default <file>.status
	LogDir     string   // log_dir: where a process without stdout_log logs (<dir>/<name>.log)
	Tick       Duration // tick: reconcile period
	Node       string   // node: the node the list is for (informational)
	Version    int64    // version: of the list, as published by the master
	Procs      []Proc   // procs
}

// Defaults for the daemons' periods.
const (
	DefaultPollInterval      = Duration(250e6)
	DefaultRepublishInterval = Duration(5e9)
	DefaultNodeTimeout       = Duration(5e9)
	DefaultHeartbeat         = Duration(1e9)
	DefaultTick              = Duration(200e6)
)

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return b, nil
}

// LoadMaster reads and validates a master configuration file.
func LoadMaster(path string) (*Master, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseMaster(b)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", path, err)
	}
	if m.StateFile == "" {
		m.StateFile = path + ".state"
	}
	return m, nil
}

// ParseMaster decodes a master configuration.
func ParseMaster(b []byte) (*Master, error) {
	m := &Master{PollInterval: DefaultPollInterval, RepublishInterval: DefaultRepublishInterval, NodeTimeout: DefaultNodeTimeout}
	var nodes map[string]json.RawMessage
	err := decodeObject(b, fields{
		"master_updates":     str(&m.Updates),
		"master_stats":       str(&m.Stats),
		"master_control":     str(&m.Control),
		"pid_file":           str(&m.PidFile),
		"log_file":           str(&m.LogFile),
		"state_file":         str(&m.StateFile),
		"poll_interval":      dur(&m.PollInterval),
		"republish_interval": dur(&m.RepublishInterval),
		"node_timeout":       dur(&m.NodeTimeout),
		"nodes": func(raw json.RawMessage) error {
			if err := json.Unmarshal(raw, &nodes); err != nil || nodes == nil {
				return errors.New("want an object mapping node names to process lists")
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if m.Updates == "" || m.Stats == "" {
		return nil, errors.New("keys \"master_updates\" and \"master_stats\" are required")
	}
	if err := positive(m.PollInterval, "poll_interval"); err != nil {
		return nil, err
	}
	if err := positive(m.RepublishInterval, "republish_interval"); err != nil {
		return nil, err
	}
	if err := positive(m.NodeTimeout, "node_timeout"); err != nil {
		return nil, err
	}
	m.Nodes = make(map[string][]Proc, len(nodes))
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !ValidNode(n) {
			return nil, fmt.Errorf("key \"nodes\": %q is not a node name", n)
		}
		procs, err := decodeProcs(nodes[n])
		if err != nil {
			return nil, fmt.Errorf("key \"nodes\": %s%s", n, err)
		}
		if err := uniqueExpanded(procs); err != nil {
			return nil, fmt.Errorf("key \"nodes\": %s: %w", n, err)
		}
		m.Nodes[n] = procs
	}
	return m, nil
}

// uniqueExpanded refuses a list whose expansion repeats a name ("web" with
// count 2 next to a process called "web.1").
func uniqueExpanded(types []Proc) error {
	seen := map[string]bool{}
	for _, p := range Expand(types) {
		if seen[p.Name] {
			return fmt.Errorf("process name %q appears twice after scaling", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// ValidNode reports whether s can name a node: non-empty, at most 255
// bytes, no NUL (the topic delimiter), no whitespace.
func ValidNode(s string) bool {
	return s != "" && len(s) <= 255 && !strings.ContainsAny(s, "\x00 \t\r\n")
}

func positive(d Duration, key string) error {
	if d <= 0 {
		return fmt.Errorf("key %q: must be positive", key)
	}
	return nil
}

// LoadClient reads and validates a client configuration file and resolves
// "%H" in node_name to hostname.
func LoadClient(path, hostname string) (*Client, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseClient(b, hostname)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", path, err)
	}
	return c, nil
}

// ParseClient decodes a client configuration.
func ParseClient(b []byte, hostname string) (*Client, error) {
	c := &Client{HeartbeatInterval: DefaultHeartbeat}
	err := decodeObject(b, fields{
		"pid_file":           str(&c.PidFile),
		"log_file":           str(&c.LogFile),
		"master_stats":       str(&c.Stats),
		"master_updates":     str(&c.Updates),
		"master_control":     str(&c.Control),
		"node_name":          str(&c.NodeName),
		"conf_file":          str(&c.ConfFile),
		"heartbeat_interval": dur(&c.HeartbeatInterval),
	})
	if err != nil {
		return nil, err
	}
	switch {
	case c.Stats == "":
		return nil, errors.New("key \"master_stats\": required")
	case c.Updates == "":
		return nil, errors.New("key \"master_updates\": required")
	case c.ConfFile == "":
		return nil, errors.New("key \"conf_file\": required")
	}
	if c.NodeName == "" {
		c.NodeName = "%H"
	}
	c.NodeName = strings.ReplaceAll(c.NodeName, "%H", hostname)
	if !ValidNode(c.NodeName) {
		return nil, fmt.Errorf("key \"node_name\": %q is not a node name", c.NodeName)
	}
	if err := positive(c.HeartbeatInterval, "heartbeat_interval"); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadWorker reads and validates a worker configuration file.
func LoadWorker(path string) (*Worker, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	w, err := ParseWorker(b)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", path, err)
	}
	if w.StateFile == "" {
		w.StateFile = path + ".state"
	}
	if w.StatusFile == "" {
		w.StatusFile = path + ".status"
	}
	return w, nil
}

// ParseWorker decodes a worker configuration. The process list is given
// as types and expanded (see Expand).
func ParseWorker(b []byte) (*Worker, error) {
	w := &Worker{Tick: DefaultTick}
	var procs []Proc
	err := decodeObject(b, fields{
		"pid_file":    str(&w.PidFile),
		"log_file":    str(&w.LogFile),
		"state_file":  str(&w.StateFile),
		"status_file": str(&w.StatusFile),
		"log_dir":     str(&w.LogDir),
		"tick":        dur(&w.Tick),
		"node":        str(&w.Node),
		"version":     integer(&w.Version),
		"procs": func(raw json.RawMessage) error {
			var err error
			procs, err = decodeProcs(raw)
			if err != nil {
				return fmt.Errorf("procs%w", err)
			}
			return nil
		},
	})
	if err != nil {
		return nil, trimProcsKey(err)
	}
	if err := positive(w.Tick, "tick"); err != nil {
		return nil, err
	}
	if err := uniqueExpanded(procs); err != nil {
		return nil, fmt.Errorf("key \"procs\": %w", err)
	}
	w.Procs = Expand(procs)
	return w, nil
}

// trimProcsKey turns `key "procs": procs[1] …` into `procs[1] …`.
func trimProcsKey(err error) error {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, `key "procs": `); ok {
		return errors.New(rest)
	}
	return err
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers see the old or the new content, never
// a mix. The file gets mode perm.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("spec: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("spec: write %s: %w", path, werr)
	}
	return nil
}
