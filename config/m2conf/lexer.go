package m2conf

import "fmt"

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokString             // "..." or '...', text is the raw content between the quotes
	tokNumber             // [0-9]+
	tokIdent              // [A-Za-z_][A-Za-z0-9_]* that is not a class name
	tokClass              // [A-Z][A-Za-z]+
	tokAssign             // =
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
	tokLBrace             // {
	tokRBrace             // }
	tokComma              // ,
	tokColon              // :
)

type token struct {
	kind tokenKind
	text string
	pos  Pos
}

// String describes the token for error messages.
func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokString:
		return fmt.Sprintf("string %q", t.text)
	case tokNumber:
		return "number " + t.text
	case tokIdent:
		return "identifier " + t.text
	case tokClass:
		return "class name " + t.text
	default:
		return "'" + t.text + "'"
	}
}

var punctuation = [256]tokenKind{
	'=': tokAssign,
	'(': tokLParen,
	')': tokRParen,
	'[': tokLBracket,
	']': tokRBracket,
	'{': tokLBrace,
	'}': tokRBrace,
	',': tokComma,
	':': tokColon,
}

// lexer splits a config file into tokens. Invalid characters are reported
// and skipped so that every one of them is found in a single pass.
type lexer struct {
	file string
	src  []byte
	off  int
	line int
	col  int
	errs ErrorList
}

func lex(file string, src []byte) ([]token, ErrorList) {
	lx := &lexer{file: file, src: src, line: 1, col: 1}
	var toks []token
	for {
		t := lx.next()
		toks = append(toks, t)
		if t.kind == tokEOF {
			return toks, lx.errs
		}
	}
}

// advance consumes one byte, keeping line and column up to date.
func (lx *lexer) advance() {
	if lx.src[lx.off] == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	lx.off++
}

func (lx *lexer) pos() Pos { return Pos{Line: lx.line, Col: lx.col} }

func (lx *lexer) next() token {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		start := lx.pos()
		switch {
		case isSpace(c):
			lx.advance()
		case c == '#':
			// A comment runs to the end of the line; one that ends the
			// file without a newline is accepted too.
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.advance()
			}
		case c == '"' || c == '\'':
			return lx.quoted(c, start)
		case isDigit(c):
			begin := lx.off
			for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
				lx.advance()
			}
			return token{kind: tokNumber, text: string(lx.src[begin:lx.off]), pos: start}
		case isLetter(c) || c == '_':
			begin := lx.off
			for lx.off < len(lx.src) && (isLetter(lx.src[lx.off]) || isDigit(lx.src[lx.off]) || lx.src[lx.off] == '_') {
				lx.advance()
			}
			word := string(lx.src[begin:lx.off])
			kind := tokIdent
			if isClassName(word) {
				kind = tokClass
			}
			return token{kind: kind, text: word, pos: start}
		case punctuation[c] != tokEOF:
			lx.advance()
			return token{kind: punctuation[c], text: string(c), pos: start}
		default:
			lx.errs = append(lx.errs, Errorf(lx.file, start, "invalid character %s", describeByte(c)))
			lx.advance()
		}
	}
	return token{kind: tokEOF, pos: lx.pos()}
}

// quoted lexes a string. A backslash keeps the next byte (whatever it is)
// inside the string and both bytes are kept verbatim: m2sh never unescapes.
func (lx *lexer) quoted(quote byte, start Pos) token {
	lx.advance()
	begin := lx.off
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == quote:
			text := string(lx.src[begin:lx.off])
			lx.advance()
			return token{kind: tokString, text: text, pos: start}
		case c == '\\' && lx.off+1 < len(lx.src):
			lx.advance()
			lx.advance()
		default:
			lx.advance()
		}
	}
	lx.errs = append(lx.errs, Errorf(lx.file, start, "unterminated string"))
	return token{kind: tokEOF, pos: lx.pos()}
}

// isSpace matches C isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isClassName reports whether an identifier-shaped word lexes as a class
// name: an upper-case letter followed by at least one more letter and
// nothing else. m2sh's scanner prefers the class rule when both match the
// same text, so `Main` can never be a variable name while `Main2` can.
func isClassName(word string) bool {
	if len(word) < 2 || word[0] < 'A' || word[0] > 'Z' {
		return false
	}
	for i := 1; i < len(word); i++ {
		if !isLetter(word[i]) {
			return false
		}
	}
	return true
}

func describeByte(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("0x%02x", c)
}
