package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/spec"
)

// Update is one node's full process list at a version. Versions only grow,
// so a client applies an update only if it is newer than what it has.
type Update struct {
	Node        string      `json:"node"`
	Version     int64       `json:"version"`
	GeneratedAt time.Time   `json:"generated_at"`
	Procs       []spec.Proc `json:"procs"`
}

// Topic is the subscription prefix that selects exactly node's updates.
func Topic(node string) string { return node + "\x00" }

// EncodeUpdate frames u for the PUB socket.
func EncodeUpdate(u Update) ([]byte, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("proto: encode update: %w", err)
	}
	out := make([]byte, 0, len(u.Node)+1+len(body))
	out = append(out, u.Node...)
	out = append(out, 0)
	return append(out, body...), nil
}

// DecodeUpdate parses a framed update and checks that the topic and the
// body name the same node.
func DecodeUpdate(msg []byte) (Update, error) {
	var u Update
	i := bytes.IndexByte(msg, 0)
	if i < 1 {
		return u, errors.New("proto: update: no topic")
	}
	if err := json.Unmarshal(msg[i+1:], &u); err != nil {
		return Update{}, fmt.Errorf("proto: update: %w", err)
	}
	if u.Node != string(msg[:i]) {
		return Update{}, fmt.Errorf("proto: update: topic %q carries node %q", msg[:i], u.Node)
	}
	if u.Version <= 0 {
		return Update{}, fmt.Errorf("proto: update: bad version %d", u.Version)
	}
	return u, nil
}

// Process states reported by workers.
const (
	StateStarting  = "starting"  // started, not yet ready
	StateRunning   = "running"   // ready
	StateReloading = "reloading" // running, with its replacement starting
	// StateReloadFailed: running the old description; the replacement is
	// ready but its switch_command failed (last_error), and is retried
	// at next_start_at.
	StateReloadFailed = "reload-failed"
	StateBackoff      = "backoff"   // crashed, waiting to be restarted
	StateCrashLoop    = "crashloop" // crashed repeatedly, waiting longer each time
	StateStopping     = "stopping"  // signalled, waiting for its group to exit
	StateExited       = "exited"    // exited and not to be restarted
	StateFailed       = "failed"    // cannot be started (bad user, missing binary)
)

// ProcStatus is one process as a worker sees it; clients add resource use.
type ProcStatus struct {
	Name        string    `json:"name"`
	Type        string    `json:"type,omitempty"`
	State       string    `json:"state"`
	PID         int       `json:"pid,omitempty"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	Restarts    int       `json:"restarts"`
	NextStartAt time.Time `json:"next_start_at,omitzero"`  // in backoff
	NextStartIn float64   `json:"next_start_in,omitempty"` // seconds, in backoff; set by the client
	LastError   string    `json:"last_error,omitempty"`
	UptimeSec   float64   `json:"uptime_sec,omitempty"` // set by the client
	RSSBytes    int64     `json:"rss_bytes,omitempty"`
	CPUSeconds  float64   `json:"cpu_seconds,omitempty"`
	CPUPercent  float64   `json:"cpu_percent,omitempty"`
}

// WorkerStatus is the file a worker rewrites every tick for its client.
type WorkerStatus struct {
	PID       int          `json:"pid"`
	Version   int64        `json:"version"`
	UpdatedAt time.Time    `json:"updated_at"`
	Procs     []ProcStatus `json:"procs"`
}

// Heartbeat is what a client pushes to the master.
type Heartbeat struct {
	Node        string       `json:"node"`
	Version     int64        `json:"version"` // applied
	Time        time.Time    `json:"time"`
	WorkerPID   int          `json:"worker_pid,omitempty"`
	WorkerAlive bool         `json:"worker_alive"`
	Procs       []ProcStatus `json:"procs"`
}

// DecodeHeartbeat parses a heartbeat.
func DecodeHeartbeat(msg []byte) (Heartbeat, error) {
	var h Heartbeat
	if err := json.Unmarshal(msg, &h); err != nil {
		return Heartbeat{}, fmt.Errorf("proto: heartbeat: %w", err)
	}
	if !spec.ValidNode(h.Node) {
		return Heartbeat{}, fmt.Errorf("proto: heartbeat: bad node %q", h.Node)
	}
	return h, nil
}

// Control operations.
const (
	OpSnapshot = "snapshot" // Request.Node's current Update
	OpStatus   = "status"   // every node's Status
)

// Request is a control request to the master.
type Request struct {
	Op   string `json:"op"`
	Node string `json:"node,omitempty"`
}

// Reply is the master's answer to a Request: exactly one of the fields is
// set.
type Reply struct {
	Error  string  `json:"error,omitempty"`
	Update *Update `json:"update,omitempty"`
	Status *Status `json:"status,omitempty"`
}

// Node states in the master's view.
const (
	NodeUp      = "up"
	NodeDown    = "down"       // heartbeats stopped
	NodeOffline = "never-seen" // no heartbeat since the master started
)

// Status is the master's view of every node.
type Status struct {
	Time  time.Time    `json:"time"`
	Nodes []NodeStatus `json:"nodes"`
}

// NodeStatus is one node in Status.
type NodeStatus struct {
	Name          string       `json:"name"`
	State         string       `json:"state"`
	Version       int64        `json:"version"` // desired
	Applied       int64        `json:"applied"` // reported by the client
	LastHeartbeat time.Time    `json:"last_heartbeat,omitzero"`
	WorkerAlive   bool         `json:"worker_alive"`
	Desired       []string     `json:"desired"` // process names
	Procs         []ProcStatus `json:"procs"`
}
