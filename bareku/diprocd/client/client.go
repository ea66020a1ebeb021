package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/procfs"
	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
	"github.com/bareku/bareku/protocol/zmq"
)

// recvPoll is how long the SUB socket waits before the loop looks at the
// heartbeat timer again.
const recvPoll = 100 * time.Millisecond

// Client follows the master's instructions for one node.
type Client struct {
	cfg     *spec.Client
	log     *slog.Logger
	applied int64
	cpu     map[int]cpuSample // pid -> last CPU reading, for cpu_percent
}

type cpuSample struct {
	at    time.Time
	ticks uint64
}

// New creates a client. The version it starts from is the one recorded in
// the worker's configuration file, so a restarted client does not re-apply
// what it already wrote.
func New(cfg *spec.Client, log *slog.Logger) *Client {
	c := &Client{cfg: cfg, log: log, cpu: map[int]cpuSample{}}
	if w, err := spec.LoadWorker(cfg.ConfFile); err == nil && w.Node == cfg.NodeName {
		c.applied = w.Version
	}
	return c
}

// Run subscribes, asks for a snapshot, and then applies updates and sends
// heartbeats until ctx is done.
func (c *Client) Run(ctx context.Context) error {
	zctx, err := zmq.NewContext(1)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer zctx.Term()
	sub, err := zctx.Connect(zmq.Sub, c.cfg.Updates, zmq.Options{
		Subscribe: proto.Topic(c.cfg.NodeName), RecvTimeout: recvPoll, RecvHWM: 100, Linger: 0,
	})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer sub.Close()
	// Heartbeats are dropped rather than queued when the master is away:
	// only the latest state matters.
	push, err := zctx.Connect(zmq.Push, c.cfg.Stats, zmq.Options{SendHWM: 10, SendTimeout: 10 * time.Millisecond, Linger: 0})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer push.Close()
	c.log.Info("client started", "node", c.cfg.NodeName, "updates", c.cfg.Updates, "stats", c.cfg.Stats, "version", c.applied)

	if c.cfg.Control != "" {
		if u, err := Snapshot(zctx, c.cfg.Control, c.cfg.NodeName, 2*time.Second); err != nil {
			c.log.Warn("no snapshot from the master, waiting for its next publication", "err", err)
		} else {
			c.apply(u)
		}
	}
	next := time.Now()
	for ctx.Err() == nil {
		if now := time.Now(); !now.Before(next) {
			c.heartbeat(push, now)
			next = now.Add(c.cfg.HeartbeatInterval.D())
		}
		msg, err := sub.Recv()
		switch {
		case errors.Is(err, zmq.ErrTimeout):
			continue
		case err != nil:
			return fmt.Errorf("client: receive: %w", err)
		}
		u, err := proto.DecodeUpdate(msg)
		if err != nil {
			c.log.Warn("skipping a bad update", "err", err)
			continue
		}
		if u.Node != c.cfg.NodeName {
			c.log.Error("received another node's update", "node", u.Node)
			continue
		}
		if c.apply(u) {
			next = time.Now() // report the change at once
		}
	}
	return nil
}

// Snapshot asks the master's control socket for node's current list.
func Snapshot(zctx *zmq.Context, endpoint, node string, timeout time.Duration) (proto.Update, error) {
	rep, err := Call(zctx, endpoint, proto.Request{Op: proto.OpSnapshot, Node: node}, timeout)
	if err != nil {
		return proto.Update{}, err
	}
	if rep.Update == nil {
		return proto.Update{}, errors.New("client: snapshot: empty reply")
	}
	return *rep.Update, nil
}

// Call sends one control request to the master and waits for the reply.
// A fresh REQ socket is used per call, so a lost reply never wedges the
// REQ/REP lockstep.
func Call(zctx *zmq.Context, endpoint string, req proto.Request, timeout time.Duration) (proto.Reply, error) {
	s, err := zctx.Connect(zmq.Req, endpoint, zmq.Options{SendTimeout: timeout, RecvTimeout: timeout, Linger: 0})
	if err != nil {
		return proto.Reply{}, fmt.Errorf("client: control: %w", err)
	}
	defer s.Close()
	b, _ := json.Marshal(req)
	if err := s.Send(b); err != nil {
		return proto.Reply{}, fmt.Errorf("client: control %s: send: %w", endpoint, err)
	}
	msg, err := s.Recv()
	if err != nil {
		return proto.Reply{}, fmt.Errorf("client: control %s: %w", endpoint, err)
	}
	var rep proto.Reply
	if err := json.Unmarshal(msg, &rep); err != nil {
		return proto.Reply{}, fmt.Errorf("client: control reply: %w", err)
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("client: control: master says: %s", rep.Error)
	}
	return rep, nil
}

// apply writes u into the worker's configuration if it is newer than what
// was applied, and reports whether it did.
func (c *Client) apply(u proto.Update) bool {
	if u.Version <= c.applied {
		return false
	}
	if err := c.writeWorkerConf(u); err != nil {
		c.log.Error("cannot apply update", "version", u.Version, "err", err)
		return false
	}
	c.log.Info("applied update", "version", u.Version, "procs", len(u.Procs))
	c.applied = u.Version
	c.wakeWorker()
	return true
}

// writeWorkerConf replaces the node, version and procs keys of the
// worker's file, keeping the operator's other keys, and checks that the
// worker will accept the result before renaming it into place.
func (c *Client) writeWorkerConf(u proto.Update) error {
	doc := map[string]json.RawMessage{}
	if b, err := os.ReadFile(c.cfg.ConfFile); err == nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("client: %s: %w", c.cfg.ConfFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("client: %w", err)
	}
	procs := u.Procs
	if procs == nil {
		procs = []spec.Proc{}
	}
	doc["node"], _ = json.Marshal(u.Node)
	doc["version"], _ = json.Marshal(u.Version)
	doc["procs"], _ = json.Marshal(procs)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if _, err := spec.ParseWorker(b); err != nil {
		return fmt.Errorf("client: the update would make a bad worker file: %w", err)
	}
	// 0600: env may hold secrets.
	return spec.WriteFileAtomic(c.cfg.ConfFile, append(b, '\n'), 0o600)
}

// wakeWorker sends SIGHUP to the worker named by the pid_file of its
// configuration, so it reloads now rather than at its next poll.
func (c *Client) wakeWorker() {
	w, err := spec.LoadWorker(c.cfg.ConfFile)
	if err != nil || w.PidFile == "" {
		return
	}
	if pid := readPid(w.PidFile); pid > 0 {
		syscall.Kill(pid, syscall.SIGHUP)
	}
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// heartbeat pushes the node's state: the worker's status file enriched
// with memory and CPU from /proc.
func (c *Client) heartbeat(push *zmq.Socket, now time.Time) {
	b, _ := json.Marshal(c.buildHeartbeat(now))
	if err := push.Send(b); err != nil && !errors.Is(err, zmq.ErrTimeout) {
		c.log.Warn("heartbeat not sent", "err", err)
	}
}

// buildHeartbeat reads the worker's status file and adds what /proc says
// about each process.
func (c *Client) buildHeartbeat(now time.Time) proto.Heartbeat {
	hb := proto.Heartbeat{Node: c.cfg.NodeName, Version: c.applied, Time: now}
	if w, err := spec.LoadWorker(c.cfg.ConfFile); err == nil {
		if ws, err := readStatus(w.StatusFile); err == nil {
			hb.WorkerPID = ws.PID
			hb.WorkerAlive = now.Sub(ws.UpdatedAt) < 3*time.Second+3*w.Tick.D() && syscall.Kill(ws.PID, 0) == nil
			hb.Procs = ws.Procs
		}
	}
	live := map[int]bool{}
	for i := range hb.Procs {
		p := &hb.Procs[i]
		if !p.NextStartAt.IsZero() && p.NextStartAt.After(now) {
			p.NextStartIn = p.NextStartAt.Sub(now).Seconds()
		}
		if p.PID == 0 {
			continue
		}
		if !p.StartedAt.IsZero() {
			p.UptimeSec = now.Sub(p.StartedAt).Seconds()
		}
		st, err := procfs.ReadStat(p.PID)
		if err != nil {
			continue
		}
		live[p.PID] = true
		ticks := st.UTime + st.STime
		p.RSSBytes = st.RSSPages * int64(os.Getpagesize())
		p.CPUSeconds = float64(ticks) / procfs.TicksPerSecond
		if prev, ok := c.cpu[p.PID]; ok && now.After(prev.at) && ticks >= prev.ticks {
			p.CPUPercent = 100 * float64(ticks-prev.ticks) / procfs.TicksPerSecond / now.Sub(prev.at).Seconds()
		}
		c.cpu[p.PID] = cpuSample{at: now, ticks: ticks}
	}
	for pid := range c.cpu {
		if !live[pid] {
			delete(c.cpu, pid)
		}
	}
	return hb
}

func readStatus(path string) (proto.WorkerStatus, error) {
	var ws proto.WorkerStatus
	b, err := os.ReadFile(path)
	if err != nil {
		return ws, err
	}
	err = json.Unmarshal(bytes.TrimSpace(b), &ws)
	return ws, err
}
