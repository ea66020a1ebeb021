package m2sh

import (
	"strings"
	"testing"
)

func FuzzScanArgs(f *testing.F) {
	for _, s := range []string{
		"servers -db multi.sqlite",
		`servers -db "a b" --config 'x.conf'`,
		"servers ---db -x-y -a.b -_ -5 x-y `m`",
		`load "a\"b c" 'it''s'`,
		"",
		"\t\v\f\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		toks := scanArgs(line)
		// Every non-space byte belongs to exactly one token, in order:
		// taking each token's source text off the front of the line, after
		// white space, consumes the whole line.
		const space = " \t\n\v\f\r"
		rest := line
		for _, tok := range toks {
			rest = strings.TrimLeft(rest, space)
			var src string
			switch tok.kind {
			case argOption:
				src = "-" + tok.text
				if strings.HasPrefix(rest, "-"+src) {
					src = "-" + src
				}
			case argString:
				if rest == "" {
					t.Fatalf("string %q past the end", tok.text)
				}
				src = rest[:1] + tok.text + rest[:1]
			default:
				src = tok.text
			}
			if src == "" || !strings.HasPrefix(rest, src) {
				t.Fatalf("token %v does not start %q", tok, rest)
			}
			rest = rest[len(src):]
		}
		if strings.TrimLeft(rest, space) != "" {
			t.Fatalf("bytes %q left unscanned", rest)
		}
		parseInvocation(toks)
	})
}
