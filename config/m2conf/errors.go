package m2conf

import (
	"fmt"
	"strings"
)

// Pos is a position in a config file: 1-based line and byte column.
// The zero Pos means "no particular place in the file".
type Pos struct {
	Line, Col int
}

// IsValid reports whether p names a place in the file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is one problem found in a config file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

// Error formats the problem as `file:line:col: message` (or `file: message`
// when it has no position).
func (e *Error) Error() string {
	if !e.Pos.IsValid() {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Errorf builds an Error at pos in file.
func Errorf(file string, pos Pos, format string, args ...any) *Error {
	return &Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList collects the problems found in one pass over a file, in the
// order they were found.
type ErrorList []*Error

// Error joins the problems one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
