package control

import (
	"errors"
	"strconv"
	"strings"

	tns "github.com/bareku/bareku/protocol/tnetstring"
)

// Errors of ParseLine, worded as m2sh prints them.
var (
	// ErrUsage: the line does not split into a command and key=value pairs.
	ErrUsage = errors.New("USAGE: command arg1=val1 arg2=val2")
	// ErrInteger: a value that starts like a number is not one.
	ErrInteger = errors.New("Failed to parse integer.")
	// ErrIntegerRange: a number does not fit in 64 bits.
	ErrIntegerRange = errors.New("Integer is too large.")
)

// Arg is one key=value argument of a request. Value is a string or an
// integer tnetstring value.
type Arg struct {
	Key   string
	Value tns.Value
}

// ParseLine splits a control prompt line the way m2sh does. The line is
// trimmed of white space and then split at every space, tab, newline and
// '=' (so two separators in a row make an empty field, and values cannot
// hold spaces): the first field is the command, the rest alternate key and
// value. A value whose first byte is '-' or a digit must be a decimal
// integer and is sent as one; any other value is sent as a string.
func ParseLine(line string) (cmd string, args []Arg, err error) {
	fields := splitEvery(strings.Trim(line, " \t\n\v\f\r"))
	if len(fields)%2 != 1 {
		return "", nil, ErrUsage
	}
	for i := 1; i < len(fields); i += 2 {
		v, err := parseValue(fields[i+1])
		if err != nil {
			return "", nil, err
		}
		args = append(args, Arg{Key: fields[i], Value: v})
	}
	return fields[0], args, nil
}

// splitEvery splits s at each separator byte, keeping empty fields.
func splitEvery(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '=':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func parseValue(s string) (tns.Value, error) {
	if s == "" || s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return tns.String(s), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return tns.Value{}, ErrIntegerRange
		}
		return tns.Value{}, ErrInteger
	}
	return tns.Int(n), nil
}

// AppendRequest appends the request [cmd, {args}] to dst, the dict pairs
// in the order given.
func AppendRequest(dst []byte, cmd string, args []Arg) []byte {
	dict := make([]tns.Pair, len(args))
	for i, a := range args {
		dict[i] = tns.KV(a.Key, a.Value)
	}
	return tns.List(tns.String(cmd), tns.Dict(dict...)).Append(dst)
}
