package m2sh

import "strings"

// m2sh 1.12.2 does not look at argv directly: it joins the arguments into
// one command line (wrapping any argument that contains a space in double
// quotes) and scans that line again. The scan decides what is an option,
// what is a value and what is a stray argument, so the joining is kept
// here too: `-db "a b"`, `-db 'x'` and `-x-y` (one value, not an option)
// all behave as they do with the original.

type argKind int

const (
	argOption argKind = iota // -name or --name; text is the name
	argString                // "..." or '...'; text is the inside, verbatim
	argNumber                // digits
	argIdent                 // letters, digits, '_' and '.', not starting with a digit
	argBlob                  // any other run of non-space bytes
)

type arg struct {
	kind argKind
	text string
}

// joinArgs rebuilds the command line m2sh scans.
func joinArgs(args []string) string {
	var b strings.Builder
	b.WriteString("m2sh")
	for _, a := range args {
		if strings.Contains(a, " ") {
			b.WriteString(` "` + a + `"`)
		} else {
			b.WriteString(" " + a)
		}
	}
	return b.String()
}

// scanArgs splits a command line into tokens. At each position the longest
// match wins; on a tie the earlier rule in this order wins: -option,
// --option, quoted string, number, identifier, blob.
func scanArgs(line string) []arg {
	var out []arg
	for i := 0; i < len(line); {
		if isArgSpace(line[i]) {
			i++
			continue
		}
		rest := line[i:]
		cands := [...]struct {
			kind argKind
			skip int // leading bytes left out of the text: dashes, quote
			n    int // length of the match, 0 for none
		}{
			{argOption, 1, optionLen(rest, 1)},
			{argOption, 2, optionLen(rest, 2)},
			{argString, 1, quotedLen(rest)},
			{argNumber, 0, digitsLen(rest)},
			{argIdent, 0, identLen(rest)},
			{argBlob, 0, blobLen(rest)},
		}
		best := 0
		for j := range cands {
			if cands[j].n > cands[best].n {
				best = j
			}
		}
		c := cands[best]
		text := rest[c.skip:c.n]
		if c.kind == argString {
			text = text[:len(text)-1] // the closing quote
		}
		out = append(out, arg{kind: c.kind, text: text})
		i += c.n
	}
	return out
}

// isArgSpace matches Ragel's space class: C isspace.
func isArgSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

func blobLen(s string) int {
	n := 0
	for n < len(s) && !isArgSpace(s[n]) {
		n++
	}
	return n
}

func isArgAlpha(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// identLen measures (alpha | '_' | '.')+ (alpha | digit | '_' | '.')*.
func identLen(s string) int {
	if len(s) == 0 || !(isArgAlpha(s[0]) || s[0] == '_' || s[0] == '.') {
		return 0
	}
	n := 1
	for n < len(s) && (isArgAlpha(s[n]) || s[n] >= '0' && s[n] <= '9' || s[n] == '_' || s[n] == '.') {
		n++
	}
	return n
}

func digitsLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// optionLen measures a dash-prefixed option: dashes '-' characters then an
// identifier.
func optionLen(s string, dashes int) int {
	if len(s) <= dashes || strings.Count(s[:dashes], "-") != dashes {
		return 0
	}
	if l := identLen(s[dashes:]); l > 0 {
		return dashes + l
	}
	return 0
}

// quotedLen measures a complete "..." or '...' string in which a backslash
// escapes any byte, or returns 0.
func quotedLen(s string) int {
	if len(s) == 0 || s[0] != '"' && s[0] != '\'' {
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case s[0]:
			return i + 1
		}
	}
	return 0
}

// invocation is a parsed command line.
type invocation struct {
	name    string
	options map[string]string
	extra   int // arguments that are neither options nor option values
}

// Errors of parseInvocation, worded as m2sh prints them.
const (
	errNoCommandName = "No command name given.  Use m2sh help to figure out what's available."
)

// parseInvocation turns tokens into a command name, options and a count
// of stray arguments. An option followed by another option, or by nothing,
// is a flag with the value "". A repeated option keeps its last value.
// ok is false when there is no command at all (fewer than two tokens), and
// errMsg is set when the second token cannot be a command name.
func parseInvocation(toks []arg) (inv invocation, ok bool, errMsg string) {
	if len(toks) < 2 {
		return inv, false, ""
	}
	if toks[1].kind != argIdent {
		return inv, true, errNoCommandName
	}
	inv.name = toks[1].text
	inv.options = map[string]string{}
	for i := 2; i < len(toks); i++ {
		t := toks[i]
		if t.kind != argOption {
			inv.extra++
			continue
		}
		value := ""
		if i+1 < len(toks) && toks[i+1].kind != argOption {
			value = toks[i+1].text
			i++
		}
		inv.options[t.text] = value
	}
	return inv, true, ""
}
