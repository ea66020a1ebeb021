package m2conf

// Grammar (spec §8.3), with m2sh 1.12.2's comma rules: every element of a
// class argument list, list or dict may be preceded by one comma, so commas
// are optional separators, a leading comma is accepted, and a comma that is
// not followed by an element (a trailing or doubled comma) is an error.
//
//	config     := assignment+
//	assignment := IDENT '=' expr
//	expr       := STRING | NUMBER | IDENT | class | list | dict
//	class      := CLASS '(' { [','] assignment } ')'
//	list       := '[' { [','] expr } ']'
//	dict       := '{' { [','] STRING ':' expr } '}'

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// Parse parses a config file and resolves its references. name is used in
// error positions. On failure the error is an ErrorList: every invalid
// character if there are any, otherwise the first syntax error, otherwise
// every reference to an undefined variable and every reference cycle.
func Parse(name string, src []byte) (*File, error) {
	toks, errs := lex(name, src)
	if len(errs) > 0 {
		return nil, errs
	}
	p := &parser{file: name, toks: toks}
	f, err := p.parseFile()
	if err != nil {
		return nil, ErrorList{err}
	}
	if errs := resolve(f); len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

type parser struct {
	file  string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) *Error {
	return Errorf(p.file, t.pos, format, args...)
}

func (p *parser) unexpected(t token, want string) *Error {
	return p.errorf(t, "syntax error: expected %s, found %s", want, t)
}

func (p *parser) parseFile() (*File, *Error) {
	f := &File{Name: p.file}
	for p.peek().kind != tokEOF {
		a, err := p.parseAssign("a variable name")
		if err != nil {
			return nil, err
		}
		f.Vars = append(f.Vars, a)
	}
	if len(f.Vars) == 0 {
		return nil, p.errorf(p.peek(), "syntax error: the file has no assignments")
	}
	return f, nil
}

// parseAssign parses `IDENT = expr`; want describes the IDENT for errors.
func (p *parser) parseAssign(want string) (*Assign, *Error) {
	name := p.take()
	switch name.kind {
	case tokIdent:
	case tokClass:
		return nil, p.errorf(name, "syntax error: %s cannot be used as a name: an upper-case letter followed only by letters is a class name", name.text)
	default:
		return nil, p.unexpected(name, want)
	}
	if eq := p.take(); eq.kind != tokAssign {
		return nil, p.unexpected(eq, "'=' after "+name.text)
	}
	v, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	return &Assign{NamePos: name.pos, Name: name.text, Value: v}, nil
}

func (p *parser) parseExpr() (Value, *Error) {
	t := p.take()
	switch t.kind {
	case tokString:
		return &String{At: t.pos, Value: t.text}, nil
	case tokNumber:
		return &Number{At: t.pos, Text: t.text}, nil
	case tokIdent:
		if p.peek().kind == tokLParen {
			return nil, p.errorf(t, "syntax error: %s is not a class name: class names are an upper-case letter followed only by letters", t.text)
		}
		return &Ref{At: t.pos, Name: t.text}, nil
	case tokClass:
		return p.parseClass(t)
	case tokLBracket:
		return p.parseList(t)
	case tokLBrace:
		return p.parseDict(t)
	default:
		return nil, p.unexpected(t, "a value")
	}
}

func (p *parser) enter(t token) *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf(t, "syntax error: values nested more than %d deep", maxDepth)
	}
	return nil
}

// separator consumes the optional comma before an element and reports
// whether the container is closed. A comma directly before the closing
// token (or before another comma) is an error.
func (p *parser) separator(close tokenKind, what string) (bool, *Error) {
	if p.peek().kind == close {
		p.take()
		return true, nil
	}
	if p.peek().kind != tokComma {
		return false, nil
	}
	comma := p.take()
	switch p.peek().kind {
	case close:
		return false, p.errorf(comma, "syntax error: trailing comma in %s", what)
	case tokComma:
		return false, p.errorf(p.peek(), "syntax error: two commas in a row in %s", what)
	}
	return false, nil
}

func (p *parser) parseClass(name token) (Value, *Error) {
	if err := p.enter(name); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if open := p.take(); open.kind != tokLParen {
		return nil, p.unexpected(open, "'(' after class name "+name.text)
	}
	c := &Class{At: name.pos, Name: name.text}
	for {
		closed, err := p.separator(tokRParen, name.text+"(...)")
		if err != nil {
			return nil, err
		}
		if closed {
			return c, nil
		}
		a, err := p.parseAssign("an argument name or ')'")
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, a)
	}
}

func (p *parser) parseList(open token) (Value, *Error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l := &List{At: open.pos}
	for {
		closed, err := p.separator(tokRBracket, "list")
		if err != nil {
			return nil, err
		}
		if closed {
			return l, nil
		}
		if p.peek().kind == tokEOF {
			return nil, p.unexpected(p.peek(), "a value or ']'")
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		l.Elems = append(l.Elems, v)
	}
}

func (p *parser) parseDict(open token) (Value, *Error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	d := &Dict{At: open.pos}
	for {
		closed, err := p.separator(tokRBrace, "dict")
		if err != nil {
			return nil, err
		}
		if closed {
			return d, nil
		}
		key := p.take()
		if key.kind != tokString {
			return nil, p.unexpected(key, "a quoted string key or '}'")
		}
		if colon := p.take(); colon.kind != tokColon {
			return nil, p.unexpected(colon, "':' after dict key")
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		d.Items = append(d.Items, &Item{KeyPos: key.pos, Key: key.text, Value: v})
	}
}
