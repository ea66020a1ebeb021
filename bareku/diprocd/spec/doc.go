// Package spec holds diprocd's configuration files: the master's per-node
// process lists, the client's endpoints and node name, the worker's
// process list, and the process description they share. Files are JSON and
// decoded key by key, so an unknown key or a bad value is rejected with the
// file and the key named. Durations are Go duration strings ("1.5s").
//
// The master's file:
//
//	{"master_updates": "tcp://*:31124",     PUB, bound: process lists
//	 "master_stats": "tcp://*:31123",       PULL, bound: heartbeats
//	 "master_control": "tcp://*:31125",     REP, bound: snapshots, status (optional)
//	 "pid_file": "…", "log_file": "…",
//	 "state_file": "…",                     versions; default <file>.state
//	 "poll_interval": "250ms", "republish_interval": "5s", "node_timeout": "5s",
//	 "nodes": {"app1": [<process type>, …], "app10": […]}}
//
// The client's file:
//
//	{"master_updates": "tcp://master:31124", "master_stats": "tcp://master:31123",
//	 "master_control": "tcp://master:31125",  optional: start-up snapshot
//	 "node_name": "%H",                       %H is the host name
//	 "conf_file": "/etc/diprocd/worker.json", the worker's file it rewrites
//	 "pid_file": "…", "log_file": "…", "heartbeat_interval": "1s"}
//
// The worker's file (node, version and procs are written by the client):
//
//	{"pid_file": "…", "log_file": "…", "log_dir": "/var/log/diprocd",
//	 "state_file": "…", "status_file": "…", "tick": "200ms",
//	 "node": "app1", "version": 7, "procs": [<process type>, …]}
//
// A process type:
//
//	{"name": "web", "count": 3,             absent: one process named "web";
//	                                        n: web.1 … web.n
//	 "command": "/srv/app/bin/web", "args": ["-p", "8000"], "cwd": "/srv/app",
//	 "user": "nobody", "env": {"K": "v"},
//	 "stop_signal": "TERM", "graceful_timeout": "10s",
//	 "restart": "always",                   or on-failure, never
//	 "stdout_log": "…", "stderr_log": "…",  default <log_dir>/<name>.log (no log_dir: /dev/null)
//	 "ready_after": "1s", "ready_command": ["…"], "ready_timeout": "30s",
//	 "backoff_initial": "1s", "backoff_max": "60s", "backoff_reset": "30s",
//	 "switch_command": ["…"],               optional: blue/green hand-over (see Proc.SwitchCommand)
//	 "drain_time": "1s", "switch_timeout": "10s"}  only with switch_command
//
// It imports only the standard library; it must not import the rest of
// diprocd, config, server, m2sh or handlers.
package spec
