package config

import (
	"errors"
	"fmt"
)

// ErrNoServer is returned by Load when no server row has the given uuid.
var ErrNoServer = errors.New("config: no server with that uuid")

// ErrInvalid marks a configuration that Mongrel2 would refuse to start
// with. Errors wrapping it say which row and why.
var ErrInvalid = errors.New("config: invalid configuration")

// CellError reports a result cell whose SQLite type is not the one the
// column must hold: a NULL or BLOB where TEXT is required, or anything but
// an integer where INTEGER is required.
type CellError struct {
	Table  string
	RowID  int64 // 0 when the id cell itself is the bad one
	Column string
	Want   string // "TEXT" or "INTEGER"
	Got    string // "NULL", "INTEGER", "REAL", "TEXT" or "BLOB"
}

func (e *CellError) Error() string {
	return fmt.Sprintf("config: table %s, row id %d, column %s: %s where %s is required",
		e.Table, e.RowID, e.Column, e.Got, e.Want)
}

// Is makes a CellError match ErrInvalid.
func (e *CellError) Is(target error) bool { return target == ErrInvalid }

// invalidError is a configuration Mongrel2 would refuse, described by msg.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return "config: " + e.msg }

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf builds an error that matches ErrInvalid.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}
