// Package worker keeps a node's handler processes running as its
// configuration file says. It watches the file (polling, and at once on a
// wake-up signal from the client), diffs the list by process name into
// starts, stops and reloads, and reconciles every tick.
//
// Processes run in their own session and process group, as their
// configured user, with stdout and stderr on log files the worker does not
// keep open, so the worker can die without the processes noticing. Their
// identities (pid, start time, boot id) are saved in a state file; a new
// worker re-adopts the ones that are still the same processes and never a
// process that merely reused a pid. Crashed processes are restarted with
// exponential backoff; a reload starts the new process, waits until it is
// ready, and only then stops the old one; a stop signals the whole group
// and escalates to SIGKILL after the graceful timeout.
//
// A process type with a switch_command is reloaded blue/green instead:
// the new instances connect to other endpoints, and once all of them are
// ready the worker runs the command once for the type to point the front
// end at them, waits drain_time so the old instances answer what the front
// end had already queued to them, and then stops the old ones. A failed
// switch leaves old and new instances running, shows the type's slots as
// reload-failed and is retried with backoff (handover.go).
//
// It imports the standard library and diprocd/spec, diprocd/proto and
// diprocd/procfs; it must not import config, server, m2sh or handlers.
package worker
