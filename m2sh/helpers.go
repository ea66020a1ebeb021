package m2sh

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/bareku/bareku/config/route"
	tns "github.com/bareku/bareku/protocol/tnetstring"
)

// help lists the commands, or with -on NAME shows one. An unknown name is
// reported on stdout without a newline, exit status 0, as m2sh does.
func (s *session) help(inv invocation) int {
	if name, ok := inv.options["on"]; ok {
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintf(s.stdout, "%s\t%s\n", c.name, c.help)
				return exitOK
			}
		}
		fmt.Fprintf(s.stdout, "No help for %s. Use m2sh help to see a list.", name)
		return exitOK
	}
	var b strings.Builder
	b.WriteString("Mongrel2 m2sh has these commands available:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "%8s  %s\n", c.name, c.help)
	}
	fmt.Fprint(s.stdout, b.String())
	return exitOK
}

// uuid prints a random (version 4) UUID. m2sh runs uuidgen for this.
func (s *session) uuid(invocation) int {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	fmt.Fprintf(s.stdout, "%x-%x-%x-%x-%x\n", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	return exitOK
}

// route tries one route against one path or host name with Mongrel2's
// routing table: -pattern is inserted (reversed, as host patterns are, with
// -reversed) and -match is looked up (from its end, as host names are, with
// -suffix).
func (s *session) route(inv invocation) int {
	match, ok := inv.options["match"]
	if !ok {
		s.log.errorf(nil, "You have to give something to match against with --match.")
		return exitFailure
	}
	pattern, ok := inv.options["pattern"]
	if !ok {
		s.log.errorf(nil, "You have to give a pattern to use with --pattern.")
		return exitFailure
	}
	var t route.Table[struct{}]
	if _, ok := inv.options["reversed"]; ok {
		t.AddReversed(pattern, struct{}{})
	} else {
		t.Add(pattern, struct{}{})
	}
	var r *route.Route[struct{}]
	if _, ok := inv.options["suffix"]; ok {
		r = t.MatchSuffix([]byte(match))
	} else {
		r = t.Match([]byte(match))
	}
	if r == nil {
		fmt.Fprintf(s.stdout, "Match FAILED on '%s' against '%s'.\n", match, pattern)
		return exitOK
	}
	fmt.Fprintf(s.stdout, "Match passed on '%s' against '%s'.\nROUTE: pattern='%s', prefix='%s'\n",
		match, pattern, r.Stored(), r.Prefix)
	return exitOK
}

// access prints the access log (spec §10.3), one request a line:
//
//	[1795790306] 127.0.0.1:55090 localhost "GET /data.txt HTTP/1.1" 200 10
//
// A line that is not a list of at least nine values of the logged types
// is skipped with a warning giving its line number.
func (s *session) access(inv invocation) int {
	name := s.optionDefault(inv, "log", "logs/access.log")
	f, err := os.Open(name)
	if err != nil {
		s.log.errorf(err, "Failed to open log file: %s", name)
		return exitFailure
	}
	defer f.Close()
	r := bufio.NewReader(f)
	w := bufio.NewWriter(s.stdout)
	defer w.Flush()
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		if !writeAccessLine(w, line) {
			w.Flush()
			s.log.warnf(nil, "Malformed log line: %d.", n)
		}
	}
	return exitOK
}

// writeAccessLine renders one access-log record, reporting false when the
// line is not one.
func writeAccessLine(w io.Writer, line []byte) bool {
	v, _, err := tns.Parse(line)
	if err != nil || v.Type != tns.TypeList || len(v.List) < 9 {
		return false
	}
	e := v.List
	for i, typ := range [9]byte{tns.TypeString, tns.TypeString, tns.TypeInt, tns.TypeInt,
		tns.TypeString, tns.TypeString, tns.TypeString, tns.TypeInt, tns.TypeInt} {
		if e[i].Type != typ {
			return false
		}
	}
	fmt.Fprintf(w, "[%d] %s:%d %s \"%s %s %s\" %d %d\n", e[3].Int, cstr(e[1].Str), e[2].Int, cstr(e[0].Str),
		cstr(e[4].Str), cstr(e[5].Str), cstr(e[6].Str), e[7].Int, e[8].Int)
	return true
}

// cstr is b up to its first NUL byte, as C's printf shows it.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// shell runs each line read from stdin as an m2sh command line, until the
// end of the input. Unlike m2sh there is no line editing and no history
// in ~/.m2sh.
func (s *session) shell(invocation) int {
	s.warnNoHome(nil)
	if !s.interactive {
		s.log.idle = syscall.ENOTTY
		defer func() { s.log.idle = nil }()
	}
	s.readLines("mongrel2> ", func(line string) {
		s.runLine("m2sh " + line)
	})
	return exitOK
}

// warnNoHome repeats m2sh's warning about the history file when $HOME is
// not set.
func (s *session) warnNoHome(cause error) {
	if s.getenv("HOME") == "" {
		s.log.warnf(cause, "You don't have a HOME environment variable. Oh well, no history.")
	}
}

// readLines calls fn with each non-empty line of stdin (without its line
// end), showing prompt before each read when the session is interactive.
func (s *session) readLines(prompt string, fn func(string)) {
	r := bufio.NewReader(s.stdin)
	for {
		if s.interactive {
			fmt.Fprint(s.stdout, prompt)
		}
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			fn(line)
		}
		if err != nil {
			if s.interactive {
				fmt.Fprintln(s.stdout)
			}
			return
		}
	}
}
