package control

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	tns "github.com/bareku/bareku/protocol/tnetstring"
)

// Errors of Render for replies that are not a table or an error, worded
// as m2sh prints them.
var (
	ErrNotDict       = errors.New("Server returned an invalid response, must be a dict.")
	ErrNoHeaders     = errors.New("Server returned an invalid response, need a 'headers'.")
	ErrHeadersType   = errors.New("Headers must be a list, server is screwed up.")
	ErrNoRows        = errors.New("Server returned an invalid response, need a 'rows'.")
	ErrRowsType      = errors.New("Rows must be a list, server is screwed up.")
	ErrNotTable      = errors.New("Invalid query result, probably not a table.")
	ErrColumnCount   = errors.New("Server returned a bad result, names isn't same length as elements.")
	ErrHeaderNotText = errors.New("Headers should be strings.")
)

// Render writes a control-port reply to w as m2sh's control prompt shows
// it:
//
//   - a dict with an "error" key: "ERROR: <error>\n";
//   - a table with exactly one row: one "<header>:  <value>\n" line per
//     column;
//   - any other table: the headers, then each row, every field followed
//     by two spaces and every line ended by "\n", then an empty line.
//
// Values print as m2sh prints them: strings up to their first NUL byte,
// integers in decimal, floats with six decimals, null as "(null)",
// booleans as true or false, lists and dicts as "NA".
//
// A reply of any other shape is an error; like m2sh, Render may have
// written part of a table when it finds the problem.
func Render(w io.Writer, reply []byte) error {
	v, _, err := tns.Parse(reply)
	if err != nil || v.Type != tns.TypeDict {
		return ErrNotDict
	}
	if e, ok := v.Get("error"); ok {
		_, err := fmt.Fprintf(w, "ERROR: %s\n", datum(e))
		return err
	}
	headers, ok := v.Get("headers")
	if !ok {
		return ErrNoHeaders
	}
	if headers.Type != tns.TypeList {
		return ErrHeadersType
	}
	rows, ok := v.Get("rows")
	if !ok {
		return ErrNoRows
	}
	if rows.Type != tns.TypeList {
		return ErrRowsType
	}
	var b bytes.Buffer
	if len(rows.List) == 1 {
		err = renderMap(&b, headers.List, rows.List[0])
	} else {
		err = renderTable(&b, headers.List, rows.List)
	}
	if _, werr := w.Write(b.Bytes()); werr != nil && err == nil {
		err = werr
	}
	return err
}

// renderMap shows a one-row table as "header:  value" lines.
func renderMap(b *bytes.Buffer, headers []tns.Value, row tns.Value) error {
	if row.Type != tns.TypeList {
		return ErrNotTable
	}
	if len(row.List) != len(headers) {
		return ErrColumnCount
	}
	for i, h := range headers {
		if h.Type != tns.TypeString {
			return ErrHeaderNotText
		}
		b.WriteString(datum(h))
		b.WriteString(":  ")
		b.WriteString(datum(row.List[i]))
		b.WriteByte('\n')
	}
	return nil
}

// renderTable shows a header line, then the rows, then an empty line.
// Rows are cut or padded with "NA" to the width of the first row.
func renderTable(b *bytes.Buffer, headers, rows []tns.Value) error {
	for _, h := range headers {
		if h.Type != tns.TypeString {
			return fmt.Errorf("Headers should be strings, not: %c", h.Type)
		}
		b.WriteString(datum(h))
		b.WriteString("  ")
	}
	b.WriteByte('\n')
	cols := 0
	if len(rows) > 0 {
		if rows[0].Type != tns.TypeList {
			return ErrNotTable
		}
		cols = len(rows[0].List)
	}
	for _, r := range rows {
		for c := range cols {
			if r.Type == tns.TypeList && c < len(r.List) {
				b.WriteString(datum(r.List[c]))
			} else {
				b.WriteString("NA")
			}
			b.WriteString("  ")
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return nil
}

// datum renders one value as m2sh's print_datum does.
func datum(v tns.Value) string {
	switch v.Type {
	case tns.TypeString:
		if i := bytes.IndexByte(v.Str, 0); i >= 0 {
			return string(v.Str[:i])
		}
		return string(v.Str)
	case tns.TypeInt:
		return strconv.FormatInt(v.Int, 10)
	case tns.TypeFloat:
		return strconv.FormatFloat(v.Float, 'f', 6, 64)
	case tns.TypeNull:
		return "(null)"
	case tns.TypeBool:
		return strconv.FormatBool(v.Bool)
	}
	return "NA"
}
