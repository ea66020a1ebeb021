// Package procfs reads what diprocd needs from Linux's /proc: a process's
// state, process group, start time (the identity that guards against pid
// reuse), CPU time and resident memory, the members of a process group,
// and the boot id.
//
// It imports only the standard library; it must not import the rest of
// diprocd, config, server, m2sh or handlers.
package procfs
