package config

import (
	"bufio"
	"database/sql"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// schemaSQL is the schema m2sh 1.12.2 creates, exactly as `sqlite3 DB
// .schema` prints it (spec §7.1). Write executes this very text, so the
// statements SQLite stores in sqlite_master are byte-identical.
//
//go:embed schema.sql
var schemaSQL string

// mimeTSV is the built-in MIME table m2sh 1.12.2 inserts, one
// "id<TAB>extension<TAB>type" line per row, in id order (spec Appendix A).
//
//go:embed mimetypes.tsv
var mimeTSV string

// droppedTables are the tables `m2sh load` drops before recreating them.
// The log table is not among them: the commit log survives every load.
var droppedTables = []string{
	"server", "host", "handler", "proxy", "route", "statistic",
	"mimetype", "setting", "directory", "filter", "xrequest",
}

// Schema returns the schema text Write creates.
func Schema() string { return schemaSQL }

// MIMEType is a row of the mimetype table.
type MIMEType struct {
	ID        int64 // ignored for Dataset.MIMETypes, which get fresh ids
	Extension string
	Type      string
}

// DefaultMIMETypes returns the built-in MIME table (857 rows) with the ids
// m2sh 1.12.2 gives them.
func DefaultMIMETypes() []MIMEType {
	var out []MIMEType
	sc := bufio.NewScanner(strings.NewReader(mimeTSV))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			continue
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, MIMEType{ID: id, Extension: f[1], Type: f[2]})
	}
	return out
}

// Dataset is everything `m2sh load` writes, table by table. Rows are
// inserted with the ids they carry, so the writer of a Dataset decides the
// ids (m2sh numbers each table from 1 in the order its config walk meets
// the rows).
type Dataset struct {
	Servers   []ServerRow
	Hosts     []HostRow
	Handlers  []HandlerRow
	Proxies   []ProxyRow
	Dirs      []DirRow
	Routes    []RouteRow
	Settings  []SettingRow
	Filters   []PluginRow
	XRequests []PluginRow
	// MIMETypes are the config's own entries. They are applied after the
	// built-in table, each replacing the built-in row of its extension
	// (the old row is deleted and the new one appended).
	MIMETypes []MIMEType
}

// ServerRow is a row of the server table.
type ServerRow struct {
	ID          int64
	UUID        string
	AccessLog   string
	ErrorLog    string
	Chroot      string
	PidFile     string
	ControlPort string
	DefaultHost string
	Name        string
	BindAddr    string
	Port        int64
	UseSSL      int64
}

// HostRow is a row of the host table.
type HostRow struct {
	ID       int64
	ServerID int64
	Name     string
	Matching string
}

// HandlerRow is a row of the handler table.
type HandlerRow struct {
	ID         int64
	SendSpec   string
	SendIdent  string
	RecvSpec   string
	RecvIdent  string
	RawPayload int64
	Protocol   string
}

// ProxyRow is a row of the proxy table.
type ProxyRow struct {
	ID   int64
	Addr string
	Port int64
}

// DirRow is a row of the directory table.
type DirRow struct {
	ID           int64
	Base         string
	IndexFile    string
	DefaultCType string
	CacheTTL     int64
}

// RouteRow is a row of the route table. TargetType is "dir", "proxy" or
// "handler" and TargetID the id of the row in that table.
type RouteRow struct {
	ID         int64
	Path       string
	HostID     int64
	TargetID   int64
	TargetType string
}

// SettingRow is a row of the setting table; values are stored as text.
type SettingRow struct {
	ID    int64
	Key   string
	Value string
}

// PluginRow is a row of the filter or xrequest table. Settings is a
// tnetstring dict.
type PluginRow struct {
	ID       int64
	ServerID int64
	Name     string
	Settings string
}

// Write replaces the configuration in the database at dbPath (created if
// missing) with d, in one transaction: drop the configuration tables,
// create the schema, insert d's rows, the built-in MIME table, then d's
// MIME types. The log table and its rows are kept. On error nothing
// changes.
func Write(dbPath string, d *Dataset) error {
	db, err := open(dbPath, "rwc", "_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("config: write %s: %w", dbPath, err)
	}
	defer tx.Rollback()
	if err := writeTx(tx, d); err != nil {
		return fmt.Errorf("config: write %s: %w", dbPath, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("config: write %s: %w", dbPath, err)
	}
	return nil
}

func writeTx(tx *sql.Tx, d *Dataset) error {
	var drop strings.Builder
	for _, t := range droppedTables {
		fmt.Fprintf(&drop, "DROP TABLE IF EXISTS %s;\n", t)
	}
	if _, err := tx.Exec(drop.String()); err != nil {
		return fmt.Errorf("drop tables: %w", err)
	}
	// The log table is only created when missing; SQLite stores the
	// statement without "IF NOT EXISTS", so sqlite_master still matches
	// schema.sql.
	schema := strings.Replace(schemaSQL, "CREATE TABLE log(", "CREATE TABLE IF NOT EXISTS log(", 1)
	if _, err := tx.Exec(schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}

	w := &rowWriter{tx: tx}
	for _, r := range d.Servers {
		w.insert("server", "INSERT INTO server (id, uuid, access_log, error_log, pid_file, control_port, chroot, default_host, name, bind_addr, port, use_ssl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			r.ID, r.UUID, r.AccessLog, r.ErrorLog, r.PidFile, r.ControlPort, r.Chroot, r.DefaultHost, r.Name, r.BindAddr, r.Port, r.UseSSL)
	}
	for _, r := range d.Hosts {
		w.insert("host", "INSERT INTO host (id, server_id, name, matching) VALUES (?, ?, ?, ?)",
			r.ID, r.ServerID, r.Name, r.Matching)
	}
	for _, r := range d.Handlers {
		w.insert("handler", "INSERT INTO handler (id, send_spec, send_ident, recv_spec, recv_ident, raw_payload, protocol) VALUES (?, ?, ?, ?, ?, ?, ?)",
			r.ID, r.SendSpec, r.SendIdent, r.RecvSpec, r.RecvIdent, r.RawPayload, r.Protocol)
	}
	for _, r := range d.Proxies {
		w.insert("proxy", "INSERT INTO proxy (id, addr, port) VALUES (?, ?, ?)", r.ID, r.Addr, r.Port)
	}
	for _, r := range d.Dirs {
		w.insert("directory", "INSERT INTO directory (id, base, index_file, default_ctype, cache_ttl) VALUES (?, ?, ?, ?, ?)",
			r.ID, r.Base, r.IndexFile, r.DefaultCType, r.CacheTTL)
	}
	for _, r := range d.Routes {
		w.insert("route", "INSERT INTO route (id, path, host_id, target_id, target_type) VALUES (?, ?, ?, ?, ?)",
			r.ID, r.Path, r.HostID, r.TargetID, r.TargetType)
	}
	for _, r := range d.Filters {
		w.insert("filter", "INSERT INTO filter (id, server_id, name, settings) VALUES (?, ?, ?, ?)",
			r.ID, r.ServerID, r.Name, r.Settings)
	}
	for _, r := range d.XRequests {
		w.insert("xrequest", "INSERT INTO xrequest (id, server_id, name, settings) VALUES (?, ?, ?, ?)",
			r.ID, r.ServerID, r.Name, r.Settings)
	}
	for _, r := range d.Settings {
		w.insert("setting", "INSERT INTO setting (id, key, value) VALUES (?, ?, ?)", r.ID, r.Key, r.Value)
	}
	for _, m := range DefaultMIMETypes() {
		w.insert("mimetype", "INSERT INTO mimetype (id, mimetype, extension) VALUES (?, ?, ?)", m.ID, m.Type, m.Extension)
	}
	for _, m := range d.MIMETypes {
		w.insert("mimetype", "DELETE FROM mimetype WHERE extension = ?", m.Extension)
		w.insert("mimetype", "INSERT INTO mimetype (extension, mimetype) VALUES (?, ?)", m.Extension, m.Type)
	}
	w.close()
	return w.err
}

// rowWriter runs many inserts through cached prepared statements and keeps
// the first error.
type rowWriter struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	err   error
}

func (w *rowWriter) insert(table, query string, args ...any) {
	if w.err != nil {
		return
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	st, ok := w.stmts[query]
	if !ok {
		var err error
		if st, err = w.tx.Prepare(query); err != nil {
			w.err = fmt.Errorf("insert into %s: %w", table, err)
			return
		}
		w.stmts[query] = st
	}
	if _, err := st.Exec(args...); err != nil {
		w.err = fmt.Errorf("insert into %s: %w", table, err)
	}
}

func (w *rowWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// LogEntry is a row of the log table, m2sh's audit trail of loads and
// commits. happened_at is set by the database.
type LogEntry struct {
	Who      string // login name
	What     string // e.g. "load"
	Location string // host name
	How      string // e.g. the config file loaded
	Why      string // e.g. "command"
}

// AppendLog adds e to the log table of the existing database at dbPath.
func AppendLog(dbPath string, e LogEntry) error {
	db, err := open(dbPath, "rw")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec("INSERT INTO log (who, what, location, how, why) VALUES (?, ?, ?, ?, ?)",
		e.Who, e.What, e.Location, e.How, e.Why)
	if err != nil {
		return fmt.Errorf("config: append log to %s: %w", dbPath, err)
	}
	return nil
}
