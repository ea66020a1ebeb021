package config

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// open opens the database at path through an SQLite URI so that mode can
// be "ro" (must exist, read only), "rw" (must exist) or "rwc" (created if
// missing). One connection is enough for everything this package does and
// keeps a transaction and its statements on the same connection.
func open(path, mode string, extra ...string) (*sql.DB, error) {
	params := append([]string{"mode=" + mode}, extra...)
	db, err := sql.Open("sqlite3", sqliteURI(path)+"?"+strings.Join(params, "&"))
	if err != nil {
		return nil, fmt.Errorf("config: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("config: open %s: %w", path, err)
	}
	return db, nil
}

// sqliteURI turns a file path into a file: URI, escaping the characters a
// URI gives meaning to. An absolute path gets an empty authority so that a
// leading "//" is not read as a host name.
func sqliteURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	if strings.HasPrefix(path, "/") {
		return "file://" + r.Replace(path)
	}
	return "file:" + r.Replace(path)
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// queryCells runs query and returns every row as the driver's raw values:
// nil, int64, float64, string (TEXT), []byte (BLOB), bool (INTEGER in a
// column declared BOOLEAN) or time.Time (TEXT in a column declared as a
// date or timestamp).
func queryCells(q querier, query string, args ...any) ([][]any, []string, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return out, cols, rows.Err()
}

// row gives strictly typed access to one result row whose first column is
// the row id. The first type error sticks in err and names the cell.
type row struct {
	table string
	cols  []string
	vals  []any
	err   error
}

func (r *row) id() int64 {
	if v, ok := r.vals[0].(int64); ok {
		return v
	}
	return 0
}

func (r *row) fail(i int, want string) {
	if r.err == nil {
		r.err = &CellError{Table: r.table, RowID: r.id(), Column: r.cols[i], Want: want, Got: sqlType(r.vals[i])}
	}
}

// text returns cell i, which must be TEXT.
func (r *row) text(i int) string {
	if v, ok := r.vals[i].(string); ok {
		return v
	}
	r.fail(i, "TEXT")
	return ""
}

// integer returns cell i, which must be INTEGER.
func (r *row) integer(i int) int64 {
	if v, ok := r.vals[i].(int64); ok {
		return v
	}
	r.fail(i, "INTEGER")
	return 0
}

// queryRows runs query and wraps each result row for typed access; the
// first column must be the integer row id.
func queryRows(q querier, table, query string, args ...any) ([]*row, error) {
	cells, cols, err := queryCells(q, query, args...)
	if err != nil {
		return nil, fmt.Errorf("config: query %s: %w", table, err)
	}
	rows := make([]*row, len(cells))
	for i, vals := range cells {
		rows[i] = &row{table: table, cols: cols, vals: vals}
		rows[i].integer(0)
	}
	return rows, nil
}

func sqlType(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case int64, bool:
		return "INTEGER"
	case float64:
		return "REAL"
	case []byte:
		return "BLOB"
	default:
		return "TEXT"
	}
}

// lenientText reads a cell for display-only uses: any type is turned into
// its text and NULL into "".
func lenientText(v any) string {
	if v == nil {
		return ""
	}
	return cellText(v)
}

// lenientInt reads a cell for display-only uses: integers as they are,
// text with atoi, anything else as 0.
func lenientInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		return strtol(v)
	case float64:
		return int64(v)
	}
	return 0
}

// cellText renders a cell the way SQLite's C API does when a value is read
// as text and printed with %s, which is what m2sh's listing commands show:
// NULL (and an empty BLOB, which SQLite hands out as a NULL pointer) is
// "(null)", text stops at the first NUL byte, and reals use SQLite's
// "%!.15g" format ("1.0", "1.0e+20").
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return "(null)"
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		// The driver turns integers in BOOLEAN columns into bools.
		if v {
			return "1"
		}
		return "0"
	case float64:
		return sqliteReal(v)
	case string:
		return cString(v)
	case []byte:
		if len(v) == 0 {
			return "(null)"
		}
		return cString(string(v))
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func sqliteReal(f float64) string {
	s := strconv.FormatFloat(f, 'g', 15, 64)
	switch s {
	case "+Inf":
		return "Inf"
	case "-Inf", "NaN":
		return s
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	if hasExp {
		return mant + "e" + exp
	}
	return mant
}
