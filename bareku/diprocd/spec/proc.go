package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// Defaults applied by Proc.WithDefaults.
const (
	DefaultUser            = "nobody"
	DefaultStopSignal      = "TERM"
	DefaultGracefulTimeout = Duration(10e9)
	DefaultRestart         = RestartAlways
	DefaultReadyAfter      = Duration(1e9)
	DefaultReadyTimeout    = Duration(30e9)
	DefaultBackoffInitial  = Duration(1e9)
	DefaultBackoffMax      = Duration(60e9)
	DefaultBackoffReset    = Duration(30e9)
	// DefaultDrainTime and DefaultSwitchTimeout apply only to processes
	// with a switch_command.
	DefaultDrainTime     = Duration(1e9)
	DefaultSwitchTimeout = Duration(10e9)
	// MaxCount bounds a process type's scale.
	MaxCount = 1000
)

// Restart policies.
const (
	RestartAlways    = "always"     // restart whatever the exit status
	RestartOnFailure = "on-failure" // restart unless it exited with status 0
	RestartNever     = "never"      // run once
)

// Proc describes one process type (in the master's lists, with Count) or
// one process (in the worker's list, after Expand).
type Proc struct {
	Name            string            `json:"name"`
	Type            string            `json:"type,omitempty"`  // process type; set by Expand
	Count           *int              `json:"count,omitempty"` // scale; absent means one process named Name
	Command         string            `json:"command"`
	Args            []string          `json:"args,omitempty"`
	Cwd             string            `json:"cwd,omitempty"`
	User            string            `json:"user,omitempty"`
	Env             map[string]string `json:"env,omitempty"`
	StopSignal      string            `json:"stop_signal,omitempty"`
	GracefulTimeout Duration          `json:"graceful_timeout,omitempty"`
	Restart         string            `json:"restart,omitempty"`
	StdoutLog       string            `json:"stdout_log,omitempty"`
	StderrLog       string            `json:"stderr_log,omitempty"`
	ReadyAfter      Duration          `json:"ready_after,omitempty"`
	ReadyCommand    []string          `json:"ready_command,omitempty"`
	ReadyTimeout    Duration          `json:"ready_timeout,omitempty"`
	BackoffInitial  Duration          `json:"backoff_initial,omitempty"`
	BackoffMax      Duration          `json:"backoff_max,omitempty"`
	BackoffReset    Duration          `json:"backoff_reset,omitempty"`

	// SwitchCommand, when set, makes a reload a hand-over through the
	// front end: once every new instance of the type is ready, the worker
	// runs it (as the worker's own user, in /, with only the worker's
	// fixed environment, within SwitchTimeout) to point the front end at
	// the new instances, waits DrainTime so that the old instances answer
	// what was already sent to them, and only then stops them. It runs
	// once per reload of a type, and again after a failure or when the
	// worker is unsure which instances the front end uses (its first
	// start), so it must be idempotent.
	SwitchCommand []string `json:"switch_command,omitempty"`
	DrainTime     Duration `json:"drain_time,omitempty"`
	SwitchTimeout Duration `json:"switch_timeout,omitempty"`
}

// decodeProc decodes one process object strictly.
func decodeProc(raw json.RawMessage) (Proc, error) {
	var p Proc
	err := decodeObject(raw, fields{
		"name": str(&p.Name),
		"type": str(&p.Type),
		"count": func(raw json.RawMessage) error {
			var n int
			if err := intField(&n)(raw); err != nil {
				return err
			}
			p.Count = &n
			return nil
		},
		"command":          str(&p.Command),
		"args":             strs(&p.Args),
		"cwd":              str(&p.Cwd),
		"user":             str(&p.User),
		"env":              strMap(&p.Env),
		"stop_signal":      str(&p.StopSignal),
		"graceful_timeout": dur(&p.GracefulTimeout),
		"restart":          str(&p.Restart),
		"stdout_log":       str(&p.StdoutLog),
		"stderr_log":       str(&p.StderrLog),
		"ready_after":      dur(&p.ReadyAfter),
		"ready_command":    strs(&p.ReadyCommand),
		"ready_timeout":    dur(&p.ReadyTimeout),
		"backoff_initial":  dur(&p.BackoffInitial),
		"backoff_max":      dur(&p.BackoffMax),
		"backoff_reset":    dur(&p.BackoffReset),
		"switch_command":   strs(&p.SwitchCommand),
		"drain_time":       dur(&p.DrainTime),
		"switch_timeout":   dur(&p.SwitchTimeout),
	})
	if err != nil {
		return Proc{}, err
	}
	return p, p.validate()
}

// decodeProcs decodes a JSON array of processes, naming the failing entry.
func decodeProcs(raw json.RawMessage) ([]Proc, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("want an array of processes: %w", jsonErr(err))
	}
	out := make([]Proc, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		p, err := decodeProc(item)
		if err != nil {
			if p.Name != "" {
				return nil, fmt.Errorf("[%d] (%s): %w", i, p.Name, err)
			}
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("[%d]: duplicate process name %q", i, p.Name)
		}
		seen[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}

// validate checks values that JSON types alone do not constrain. Errors
// name the key.
func (p Proc) validate() error {
	if !validName(p.Name) {
		return fmt.Errorf("key \"name\": %q is not a process name (letters, digits, '.', '_', '-'; at most 64)", p.Name)
	}
	if p.Type != "" && !validName(p.Type) {
		return fmt.Errorf("key \"type\": %q is not a process type name", p.Type)
	}
	if p.Command == "" {
		return errors.New("key \"command\": missing or empty")
	}
	if p.Count != nil && (*p.Count < 0 || *p.Count > MaxCount) {
		return fmt.Errorf("key \"count\": %d is outside 0..%d", *p.Count, MaxCount)
	}
	if p.StopSignal != "" {
		if _, err := ParseSignal(p.StopSignal); err != nil {
			return fmt.Errorf("key \"stop_signal\": %w", err)
		}
	}
	switch p.Restart {
	case "", RestartAlways, RestartOnFailure, RestartNever:
	default:
		return fmt.Errorf("key \"restart\": %q is not one of always, on-failure, never", p.Restart)
	}
	for k := range p.Env {
		if k == "" || containsAny(k, "=\x00") {
			return fmt.Errorf("key \"env\": bad variable name %q", k)
		}
	}
	if p.BackoffMax != 0 && p.BackoffInitial > p.BackoffMax {
		return errors.New("key \"backoff_initial\": larger than backoff_max")
	}
	if len(p.SwitchCommand) > 0 && p.SwitchCommand[0] == "" {
		return errors.New("key \"switch_command\": empty program name")
	}
	if len(p.SwitchCommand) == 0 {
		// Without a hand-over there is nothing to drain or time out:
		// refuse the keys rather than let them look effective.
		if p.DrainTime != 0 {
			return errors.New("key \"drain_time\": only used with switch_command")
		}
		if p.SwitchTimeout != 0 {
			return errors.New("key \"switch_timeout\": only used with switch_command")
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

var signals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"HUP": syscall.SIGHUP, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2, "WINCH": syscall.SIGWINCH,
}

// ParseSignal parses a signal name with or without the SIG prefix
// ("TERM", "SIGQUIT").
func ParseSignal(name string) (syscall.Signal, error) {
	n := name
	if len(n) > 3 && n[:3] == "SIG" {
		n = n[3:]
	}
	if s, ok := signals[n]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q", name)
}

// WithDefaults returns p with every unset field given its default.
func (p Proc) WithDefaults() Proc {
	if p.Type == "" {
		p.Type = p.Name
	}
	if p.User == "" {
		p.User = DefaultUser
	}
	if p.StopSignal == "" {
		p.StopSignal = DefaultStopSignal
	}
	if p.GracefulTimeout == 0 {
		p.GracefulTimeout = DefaultGracefulTimeout
	}
	if p.Restart == "" {
		p.Restart = DefaultRestart
	}
	if p.ReadyAfter == 0 {
		p.ReadyAfter = DefaultReadyAfter
	}
	if p.ReadyTimeout == 0 {
		p.ReadyTimeout = DefaultReadyTimeout
	}
	if p.BackoffInitial == 0 {
		p.BackoffInitial = DefaultBackoffInitial
	}
	if p.BackoffMax == 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	if p.BackoffReset == 0 {
		p.BackoffReset = DefaultBackoffReset
	}
	if len(p.SwitchCommand) > 0 {
		if p.DrainTime == 0 {
			p.DrainTime = DefaultDrainTime
		}
		if p.SwitchTimeout == 0 {
			p.SwitchTimeout = DefaultSwitchTimeout
		}
	}
	return p
}

// Expand turns process types into processes: a type with Count n becomes
// n processes (none for 0) named "<name>.1" … "<name>.<n>" with Type set
// to the type's name, so that scaling up or down adds or removes the
// highest numbers and leaves the others alone; a type without Count stays
// one process under its own name.
func Expand(types []Proc) []Proc {
	var out []Proc
	for _, t := range types {
		if t.Count == nil {
			if t.Type == "" {
				t.Type = t.Name
			}
			out = append(out, t)
			continue
		}
		for i := 1; i <= *t.Count; i++ {
			p := t
			p.Type = t.Name
			p.Name = t.Name + "." + strconv.Itoa(i)
			p.Count = nil
			out = append(out, p)
		}
	}
	return out
}

// Hash identifies a process description: two processes with the same hash
// run the same thing the same way, so a changed hash means a reload.
func (p Proc) Hash() string {
	b, _ := json.Marshal(p.WithDefaults()) // a Proc always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
