package master

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
	"github.com/bareku/bareku/protocol/zmq"
)

// poll is the receive timeout of the PULL and REP sockets: how quickly
// their goroutines notice shutdown.
const poll = 100 * time.Millisecond

// minRepublish keeps a lagging client from making the master publish its
// node more than this often.
const minRepublish = 200 * time.Millisecond

type node struct {
	procs       []spec.Proc // expanded
	hash        string
	version     int64
	lastPub     time.Time
	hb          *proto.Heartbeat
	lastHB      time.Time
	inConfig    bool
	reportedOff bool
}

// Master serves one configuration file.
type Master struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	cfg   *spec.Master
	nodes map[string]*node
	stamp fileStamp

	republish chan string
	reload    chan struct{}
}

// New loads path and the versions saved in its state file.
func New(path string, log *slog.Logger) (*Master, error) {
	cfg, err := spec.LoadMaster(path)
	if err != nil {
		return nil, fmt.Errorf("master: %w", err)
	}
	m := &Master{path: path, log: log, nodes: map[string]*node{}, republish: make(chan string, 64), reload: make(chan struct{}, 1)}
	m.loadState(cfg.StateFile)
	m.stamp = stampOf(path)
	m.setConfig(cfg, time.Now())
	return m, nil
}

type fileStamp struct {
	mtime time.Time
	size  int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// savedState keeps versions monotonic across master restarts.
type savedState struct {
	Nodes map[string]savedNode `json:"nodes"`
}

type savedNode struct {
	Version int64  `json:"version"`
	Hash    string `json:"hash"`
}

func (m *Master) loadState(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		m.log.Error("ignoring unreadable state file", "file", path, "err", err)
		return
	}
	for name, s := range st.Nodes {
		m.nodes[name] = &node{version: s.Version, hash: s.Hash}
	}
}

func (m *Master) saveState() {
	st := savedState{Nodes: map[string]savedNode{}}
	for name, n := range m.nodes {
		st.Nodes[name] = savedNode{Version: n.version, Hash: n.hash}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := spec.WriteFileAtomic(m.cfg.StateFile, b, 0o600); err != nil {
		m.log.Error("cannot save versions", "err", err)
	}
}

// setConfig installs cfg and returns the nodes whose list changed. Call
// with m.mu held (or before the goroutines start).
func (m *Master) setConfig(cfg *spec.Master, now time.Time) []string {
	m.cfg = cfg
	var changed []string
	for _, n := range m.nodes {
		n.inConfig = false
	}
	for name, types := range cfg.Nodes {
		procs := spec.Expand(types)
		if procs == nil {
			procs = []spec.Proc{}
		}
		b, _ := json.Marshal(procs)
		h := hashBytes(b)
		n := m.nodes[name]
		if n == nil {
			n = &node{}
			m.nodes[name] = n
		}
		n.inConfig = true
		if n.version == 0 || n.hash != h {
			n.version++
			n.hash = h
			changed = append(changed, name)
		}
		n.procs = procs
	}
	// A node dropped from the file is told to run nothing.
	for name, n := range m.nodes {
		if !n.inConfig && n.procs != nil && len(n.procs) > 0 {
			n.procs = []spec.Proc{}
			n.version++
			n.hash = hashBytes([]byte("[]"))
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		m.saveState()
	}
	return changed
}

// Run binds the sockets and serves until ctx is done.
func (m *Master) Run(ctx context.Context) error {
	zctx, err := zmq.NewContext(1)
	if err != nil {
		return fmt.Errorf("master: %w", err)
	}
	defer zctx.Term()
	m.mu.Lock()
	cfg := m.cfg
	m.mu.Unlock()
	pub, err := zctx.Bind(zmq.Pub, cfg.Updates, zmq.Options{SendHWM: 1000, Linger: 0})
	if err != nil {
		return fmt.Errorf("master: %w", err)
	}
	defer pub.Close()
	pull, err := zctx.Bind(zmq.Pull, cfg.Stats, zmq.Options{RecvHWM: 1000, RecvTimeout: poll, Linger: 0})
	if err != nil {
		return fmt.Errorf("master: %w", err)
	}
	defer pull.Close()
	var rep *zmq.Socket
	if cfg.Control != "" {
		rep, err = zctx.Bind(zmq.Rep, cfg.Control, zmq.Options{RecvTimeout: poll, SendTimeout: time.Second, Linger: 0})
		if err != nil {
			return fmt.Errorf("master: %w", err)
		}
		defer rep.Close()
	}
	m.log.Info("master started", "updates", cfg.Updates, "stats", cfg.Stats, "control", cfg.Control, "nodes", len(cfg.Nodes))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.collect(ctx, pull) }()
	if rep != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.serveControl(ctx, rep) }()
	}
	m.publishLoop(ctx, pub)
	wg.Wait()
	return nil
}

// Reload makes the publishing loop re-read the file now, even if its
// mtime did not change.
func (m *Master) Reload() {
	m.mu.Lock()
	m.stamp = fileStamp{}
	m.mu.Unlock()
	select {
	case m.reload <- struct{}{}:
	default:
	}
}

// publishLoop owns the PUB socket.
func (m *Master) publishLoop(ctx context.Context, pub *zmq.Socket) {
	m.mu.Lock()
	all := m.nodeNames()
	m.mu.Unlock()
	m.publish(pub, all, time.Now())
	m.mu.Lock()
	pollEvery, every := m.cfg.PollInterval.D(), m.cfg.RepublishInterval.D()
	m.mu.Unlock()
	check := time.NewTicker(pollEvery)
	defer check.Stop()
	again := time.NewTicker(every)
	defer again.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-m.republish:
			m.publish(pub, []string{name}, time.Now())
		case <-again.C:
			m.mu.Lock()
			all := m.nodeNames()
			m.mu.Unlock()
			m.publish(pub, all, time.Now())
		case <-m.reload:
			if changed := m.checkFile(); len(changed) > 0 {
				m.publish(pub, changed, time.Now())
			}
		case <-check.C:
			if changed := m.checkFile(); len(changed) > 0 {
				m.publish(pub, changed, time.Now())
			}
		}
	}
}

// checkFile re-reads the configuration if its stamp changed and returns
// the nodes whose lists changed. A bad file is logged and ignored.
func (m *Master) checkFile() []string {
	st := stampOf(m.path)
	m.mu.Lock()
	defer m.mu.Unlock()
	if st == m.stamp {
		return nil
	}
	m.stamp = st
	cfg, err := spec.LoadMaster(m.path)
	if err != nil {
		m.log.Error("ignoring bad configuration, keeping the current one", "err", err)
		return nil
	}
	cfg.Updates, cfg.Stats, cfg.Control = m.cfg.Updates, m.cfg.Stats, m.cfg.Control // bound once
	changed := m.setConfig(cfg, time.Now())
	for _, name := range changed {
		m.log.Info("node list changed", "node", name, "version", m.nodes[name].version, "procs", len(m.nodes[name].procs))
	}
	return changed
}

func (m *Master) nodeNames() []string {
	names := make([]string, 0, len(m.nodes))
	for name, n := range m.nodes {
		if n.procs != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func (m *Master) update(name string, now time.Time) (proto.Update, bool) {
	n := m.nodes[name]
	if n == nil || n.procs == nil {
		return proto.Update{}, false
	}
	return proto.Update{Node: name, Version: n.version, GeneratedAt: now, Procs: n.procs}, true
}

func (m *Master) publish(pub *zmq.Socket, names []string, now time.Time) {
	for _, name := range names {
		m.mu.Lock()
		u, ok := m.update(name, now)
		if ok {
			m.nodes[name].lastPub = now
		}
		m.mu.Unlock()
		if !ok {
			continue
		}
		b, err := proto.EncodeUpdate(u)
		if err == nil {
			err = pub.Send(b)
		}
		if err != nil {
			m.log.Error("publish", "node", name, "err", err)
		}
	}
}

// collect owns the PULL socket.
func (m *Master) collect(ctx context.Context, pull *zmq.Socket) {
	for ctx.Err() == nil {
		msg, err := pull.Recv()
		if errors.Is(err, zmq.ErrTimeout) {
			m.markDown(time.Now())
			continue
		}
		if err != nil {
			m.log.Error("stats socket", "err", err)
			return
		}
		hb, err := proto.DecodeHeartbeat(msg)
		if err != nil {
			m.log.Warn("skipping a bad heartbeat", "err", err)
			continue
		}
		now := time.Now()
		m.mu.Lock()
		n := m.nodes[hb.Node]
		if n == nil {
			m.mu.Unlock()
			m.log.Warn("heartbeat from a node without a list", "node", hb.Node)
			continue
		}
		if n.hb == nil || n.reportedOff {
			m.log.Info("node up", "node", hb.Node, "version", hb.Version)
		}
		n.hb, n.lastHB, n.reportedOff = &hb, now, false
		if hb.Version > n.version {
			// The state file was lost: move past what the node has, or
			// it would ignore every list as old.
			m.log.Warn("node is ahead of the master, bumping its version", "node", hb.Node, "node_version", hb.Version, "version", n.version)
			n.version = hb.Version + 1
			m.saveState()
		}
		lag := hb.Version < n.version && now.Sub(n.lastPub) >= minRepublish
		m.mu.Unlock()
		if lag {
			select {
			case m.republish <- hb.Node:
			default:
			}
		}
		m.markDown(now)
	}
}

// markDown logs nodes whose heartbeats stopped (once per outage).
func (m *Master) markDown(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, n := range m.nodes {
		if n.hb != nil && !n.reportedOff && now.Sub(n.lastHB) > m.cfg.NodeTimeout.D() {
			n.reportedOff = true
			m.log.Warn("node down: no heartbeat", "node", name, "last", n.lastHB.Format(time.RFC3339))
		}
	}
}

// serveControl owns the REP socket.
func (m *Master) serveControl(ctx context.Context, rep *zmq.Socket) {
	for ctx.Err() == nil {
		msg, err := rep.Recv()
		if errors.Is(err, zmq.ErrTimeout) {
			continue
		}
		if err != nil {
			m.log.Error("control socket", "err", err)
			return
		}
		b, _ := json.Marshal(m.Handle(msg, time.Now()))
		if err := rep.Send(b); err != nil {
			m.log.Warn("control reply not sent", "err", err)
		}
	}
}

// Handle answers one control request.
func (m *Master) Handle(msg []byte, now time.Time) proto.Reply {
	var req proto.Request
	if err := json.Unmarshal(msg, &req); err != nil {
		return proto.Reply{Error: "bad request: " + err.Error()}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch req.Op {
	case proto.OpSnapshot:
		u, ok := m.update(req.Node, now)
		if !ok {
			return proto.Reply{Error: fmt.Sprintf("no list for node %q", req.Node)}
		}
		return proto.Reply{Update: &u}
	case proto.OpStatus:
		st := m.status(now)
		return proto.Reply{Status: &st}
	}
	return proto.Reply{Error: fmt.Sprintf("unknown op %q", req.Op)}
}

func (m *Master) status(now time.Time) proto.Status {
	st := proto.Status{Time: now}
	names := make([]string, 0, len(m.nodes))
	for name := range m.nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := m.nodes[name]
		ns := proto.NodeStatus{Name: name, Version: n.version, LastHeartbeat: n.lastHB, Desired: []string{}}
		for _, p := range n.procs {
			ns.Desired = append(ns.Desired, p.Name)
		}
		switch {
		case n.hb == nil:
			ns.State = proto.NodeOffline
		case now.Sub(n.lastHB) > m.cfg.NodeTimeout.D():
			ns.State = proto.NodeDown
		default:
			ns.State = proto.NodeUp
		}
		if n.hb != nil {
			ns.Applied, ns.WorkerAlive, ns.Procs = n.hb.Version, n.hb.WorkerAlive, n.hb.Procs
		}
		st.Nodes = append(st.Nodes, ns)
	}
	return st
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
