package config

import (
	"database/sql"
	"fmt"
	"strings"
)

// The queries of spec §7.2, as Mongrel2 1.12.2 runs them.
const (
	querySettings    = "SELECT id, key, value FROM setting"
	queryMIME        = "SELECT id, extension, mimetype FROM mimetype"
	queryServer      = "SELECT id, uuid, default_host, bind_addr, port, chroot, access_log, error_log, pid_file, use_ssl FROM server WHERE uuid=?"
	queryControlPort = "SELECT control_port FROM server WHERE uuid=?"
	queryHosts       = "SELECT id, name, matching, server_id FROM host WHERE server_id = ?"
	queryRoutes      = "SELECT route.id, route.path, route.target_id, route.target_type FROM route, host WHERE host_id=? AND host.server_id=? AND host.id = route.host_id"
	queryHandler     = "SELECT id, send_spec, send_ident, recv_spec, recv_ident, raw_payload, protocol FROM handler WHERE id=?"
	queryProxy       = "SELECT id, addr, port FROM proxy WHERE id=?"
	queryDir         = "SELECT id, base, index_file, default_ctype, cache_ttl FROM directory WHERE id=?"
	queryFilters     = "SELECT id, name, settings FROM filter WHERE server_id = ?"
	queryXRequests   = "SELECT id, name, settings FROM xrequest WHERE server_id = ?"

	// Read leniently, beside the queries above: m2sh's label and
	// Mongrel2 1.13's log level column.
	queryServerName    = "SELECT name FROM server WHERE uuid=?"
	queryErrorLogLevel = "SELECT error_log_level FROM server WHERE uuid=?"
)

// defaultErrorLogLevel is 1.13's column default (info).
const defaultErrorLogLevel = 2

// Load reads the configuration of the server whose uuid is serverUUID from
// the database at dbPath, in Mongrel2's order: settings, MIME types, the
// server, its hosts with their routes and targets, filters, xrequests. The
// database is opened read-only and read in one transaction, so a
// concurrent `m2sh load` is seen entirely or not at all.
//
// Errors match ErrNoServer when the uuid is unknown and ErrInvalid when a
// row breaks Mongrel2's rules; a *CellError names a badly typed cell.
func Load(dbPath, serverUUID string) (*Snapshot, error) {
	db, err := open(dbPath, "ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", dbPath, err)
	}
	defer tx.Rollback()

	l := &loader{
		q:        tx,
		snap:     &Snapshot{},
		handlers: map[int64]*Handler{},
		bySpecs:  map[[2]string]*Handler{},
		dirs:     map[int64]*Dir{},
		proxies:  map[int64]*Proxy{},
	}
	steps := []func() error{
		l.loadSettings,
		l.loadMIME,
		func() error { return l.loadServer(serverUUID) },
		l.loadHosts,
		func() error {
			var err error
			l.snap.Filters, err = l.loadPlugins("filter", queryFilters)
			return err
		},
		func() error {
			var err error
			l.snap.XRequests, err = l.loadPlugins("xrequest", queryXRequests)
			return err
		},
		l.findDefaultHost,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return l.snap, nil
}

type loader struct {
	q    querier
	snap *Snapshot

	handlers map[int64]*Handler     // by row id
	bySpecs  map[[2]string]*Handler // by send_spec, recv_spec
	dirs     map[int64]*Dir
	proxies  map[int64]*Proxy
}

func (l *loader) warnf(format string, args ...any) {
	l.snap.Warnings = append(l.snap.Warnings, fmt.Sprintf(format, args...))
}

func (l *loader) loadSettings() error {
	rows, err := queryRows(l.q, "setting", querySettings)
	if err != nil {
		return err
	}
	raw := map[string]string{}
	for _, r := range rows {
		key, value := r.text(1), r.text(2)
		if r.err != nil {
			return r.err
		}
		if _, dup := raw[key]; dup {
			l.warnf("setting %q in row id %d repeats an earlier row; the first one is used", key, r.id())
			continue
		}
		raw[key] = value
	}
	l.snap.Settings = ParseSettings(raw)
	return nil
}

func (l *loader) loadMIME() error {
	rows, err := queryRows(l.q, "mimetype", queryMIME)
	if err != nil {
		return err
	}
	maxLen := l.snap.Settings.MimeExtLen
	mime := make(map[string]string, len(rows))
	for _, r := range rows {
		ext, typ := r.text(1), r.text(2)
		switch {
		case r.err != nil:
			return r.err
		case ext == "":
			return invalidf("mimetype row id %d: empty extension", r.id())
		case typ == "":
			return invalidf("mimetype row id %d: empty type for %q", r.id(), ext)
		case ext[0] != '.':
			return invalidf("mimetype row id %d: extension %q does not start with '.'", r.id(), ext)
		case len(ext) >= maxLen:
			return invalidf("mimetype row id %d: extension %q is %d bytes, limits.mime_ext_len is %d", r.id(), ext, len(ext), maxLen)
		}
		if _, dup := mime[ext]; dup {
			return invalidf("mimetype row id %d: extension %q already exists", r.id(), ext)
		}
		mime[ext] = typ
	}
	l.snap.MIME = mime
	return nil
}

func (l *loader) loadServer(uuid string) error {
	rows, err := queryRows(l.q, "server", queryServer, uuid)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("config: server %q: %w", uuid, ErrNoServer)
	}
	if len(rows) > 1 {
		l.warnf("%d servers have uuid %q; the last one is used", len(rows), uuid)
	}
	r := rows[len(rows)-1]
	s := Server{
		ID:              r.id(),
		UUID:            r.text(1),
		DefaultHostName: r.text(2),
		BindAddr:        r.text(3),
		Port:            int(r.integer(4)),
		Chroot:          r.text(5),
		AccessLog:       r.text(6),
		ErrorLog:        r.text(7),
		PidFile:         r.text(8),
		UseSSL:          r.integer(9) != 0,
	}
	if r.err != nil {
		return r.err
	}
	if s.Port <= 0 {
		return invalidf("server row id %d: port %d is not positive", s.ID, s.Port)
	}
	s.ControlPort = l.optionalText(queryControlPort, uuid)
	if s.ControlPort == "" {
		s.ControlPort = l.snap.Settings.ControlPort
	}
	s.Name = l.optionalText(queryServerName, uuid)
	s.ErrorLogLevel = defaultErrorLogLevel
	if cells, _, err := queryCells(l.q, queryErrorLogLevel, uuid); err == nil && len(cells) > 0 {
		if v, ok := cells[len(cells)-1][0].(int64); ok {
			s.ErrorLogLevel = int(v)
		}
	}
	l.snap.Server = s
	return nil
}

// optionalText runs a one-column query whose failure (a missing column in
// an older database), missing row or NULL all mean "".
func (l *loader) optionalText(query string, args ...any) string {
	cells, _, err := queryCells(l.q, query, args...)
	if err != nil || len(cells) == 0 {
		return ""
	}
	if v, ok := cells[len(cells)-1][0].(string); ok {
		return v
	}
	return ""
}

func (l *loader) loadHosts() error {
	srv := l.snap.Server
	rows, err := queryRows(l.q, "host", queryHosts, srv.ID)
	if err != nil {
		return err
	}
	maxLen := l.snap.Settings.HostNameMax
	for _, r := range rows {
		h := &Host{ID: r.id(), Name: r.text(1), Matching: r.text(2)}
		r.integer(3)
		if r.err != nil {
			return r.err
		}
		if len(h.Name) >= maxLen {
			return invalidf("host row id %d: name is %d bytes, limits.host_name is %d", h.ID, len(h.Name), maxLen)
		}
		if len(h.Matching) >= maxLen {
			return invalidf("host row id %d: matching is %d bytes, limits.host_name is %d", h.ID, len(h.Matching), maxLen)
		}
		if err := l.loadRoutes(h); err != nil {
			return err
		}
		l.snap.Hosts = append(l.snap.Hosts, h)
	}
	return nil
}

func (l *loader) loadRoutes(h *Host) error {
	rows, err := queryRows(l.q, "route", queryRoutes, h.ID, l.snap.Server.ID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		rt := &Route{ID: r.id(), Path: r.text(1), TargetType: r.text(3)}
		target := r.integer(2)
		if r.err != nil {
			return r.err
		}
		switch rt.TargetType {
		case "handler":
			rt.Handler, err = l.handler(rt.ID, target)
		case "dir":
			rt.Dir, err = l.dir(rt.ID, target)
		case "proxy":
			rt.Proxy, err = l.proxy(rt.ID, target)
		default:
			err = invalidf("route row id %d: target_type %q is not dir, proxy or handler", rt.ID, rt.TargetType)
		}
		if err != nil {
			return err
		}
		h.Routes = append(h.Routes, rt)
	}
	return nil
}

// targetRow loads the single row a route points at.
func (l *loader) targetRow(table, query string, routeID, id int64) (*row, error) {
	rows, err := queryRows(l.q, table, query, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, invalidf("route row id %d: no %s row with id %d", routeID, table, id)
	}
	return rows[0], nil
}

func (l *loader) handler(routeID, id int64) (*Handler, error) {
	if h, ok := l.handlers[id]; ok {
		return h, nil
	}
	r, err := l.targetRow("handler", queryHandler, routeID, id)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		ID:        r.id(),
		SendSpec:  r.text(1),
		SendIdent: r.text(2),
		RecvSpec:  r.text(3),
		RecvIdent: r.text(4),
	}
	raw := r.integer(5)
	protocol := r.text(6)
	if r.err != nil {
		return nil, r.err
	}
	h.RawPayload = raw != 0
	if raw != 0 && raw != 1 {
		l.warnf("handler row id %d: raw_payload is %d, which is taken as 1", id, raw)
	}
	h.Protocol = "json"
	if protocol == "tnetstring" {
		h.Protocol = "tnetstring"
	}
	specs := [2]string{h.SendSpec, h.RecvSpec}
	if first, ok := l.bySpecs[specs]; ok {
		l.handlers[id] = first
		return first, nil
	}
	for _, other := range l.bySpecs {
		if other.SendSpec == h.SendSpec || other.RecvSpec == h.RecvSpec {
			l.warnf("handler row id %d shares a socket spec with handler row id %d but not both; one of them will fail to bind", id, other.ID)
		}
	}
	l.bySpecs[specs] = h
	l.handlers[id] = h
	return h, nil
}

func (l *loader) dir(routeID, id int64) (*Dir, error) {
	if d, ok := l.dirs[id]; ok {
		return d, nil
	}
	r, err := l.targetRow("directory", queryDir, routeID, id)
	if err != nil {
		return nil, err
	}
	d := &Dir{ID: r.id(), Base: r.text(1), IndexFile: r.text(2), DefaultCType: r.text(3), CacheTTL: int(r.integer(4))}
	if r.err != nil {
		return nil, r.err
	}
	if limit := l.snap.Settings.DirMaxPath; len(d.Base) >= limit {
		return nil, invalidf("directory row id %d: base is %d bytes, limits.dir_max_path is %d", id, len(d.Base), limit)
	}
	if !strings.HasSuffix(d.Base, "/") {
		return nil, invalidf("directory row id %d: base %q does not end with '/'", id, d.Base)
	}
	l.dirs[id] = d
	return d, nil
}

func (l *loader) proxy(routeID, id int64) (*Proxy, error) {
	if p, ok := l.proxies[id]; ok {
		return p, nil
	}
	r, err := l.targetRow("proxy", queryProxy, routeID, id)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ID: r.id(), Addr: r.text(1), Port: int(r.integer(2))}
	if r.err != nil {
		return nil, r.err
	}
	l.proxies[id] = p
	return p, nil
}

// loadPlugins reads the filter or xrequest rows of the server. Databases
// written before xrequests existed have no xrequest table, which Mongrel2
// treats as having no rows.
func (l *loader) loadPlugins(table, query string) ([]Plugin, error) {
	cells, cols, err := queryCells(l.q, query, l.snap.Server.ID)
	if err != nil {
		if table == "xrequest" && isNoSuchTable(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("config: query %s: %w", table, err)
	}
	var out []Plugin
	for _, vals := range cells {
		r := &row{table: table, cols: cols, vals: vals}
		p := Plugin{ID: r.integer(0), Name: r.text(1), Settings: r.text(2)}
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, p)
	}
	return out, nil
}

func (l *loader) findDefaultHost() error {
	for _, h := range l.snap.Hosts {
		if h.Name == l.snap.Server.DefaultHostName {
			l.snap.DefaultHost = h
		}
	}
	if l.snap.DefaultHost == nil {
		return invalidf("server row id %d: default_host %q names none of its hosts", l.snap.Server.ID, l.snap.Server.DefaultHostName)
	}
	return nil
}

// Servers returns every row of the server table of the database at dbPath
// in table order, for tools that list or pick servers (m2sh). Unlike Load
// it is lenient: NULL text reads as "" and NULL numbers as 0. ControlPort
// is resolved as in Load (column, then the control_port setting, then the
// default) and ErrorLogLevel is left 0.
func Servers(dbPath string) ([]Server, error) {
	db, err := open(dbPath, "ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	const cols = "id, name, uuid, default_host, bind_addr, port, chroot, access_log, error_log, pid_file, use_ssl"
	cells, _, err := queryCells(db, "SELECT "+cols+", control_port FROM server")
	if err != nil && strings.Contains(err.Error(), "no such column: control_port") {
		cells, _, err = queryCells(db, "SELECT "+cols+", '' FROM server")
	}
	if err != nil {
		return nil, fmt.Errorf("config: query server: %w", err)
	}
	settings, err := settingsOf(db)
	if err != nil {
		return nil, err
	}
	out := make([]Server, len(cells))
	for i, v := range cells {
		out[i] = Server{
			ID:              lenientInt(v[0]),
			Name:            lenientText(v[1]),
			UUID:            lenientText(v[2]),
			DefaultHostName: lenientText(v[3]),
			BindAddr:        lenientText(v[4]),
			Port:            int(lenientInt(v[5])),
			Chroot:          lenientText(v[6]),
			AccessLog:       lenientText(v[7]),
			ErrorLog:        lenientText(v[8]),
			PidFile:         lenientText(v[9]),
			UseSSL:          lenientInt(v[10]) != 0,
			ControlPort:     lenientText(v[11]),
		}
		if out[i].ControlPort == "" {
			out[i].ControlPort = settings.ControlPort
		}
	}
	return out, nil
}

// settingsOf reads the setting table leniently (first row of a key wins,
// NULL reads as ""); a database without the table has default settings.
func settingsOf(q querier) (Settings, error) {
	cells, _, err := queryCells(q, querySettings)
	if err != nil {
		if isNoSuchTable(err) {
			return DefaultSettings(), nil
		}
		return Settings{}, fmt.Errorf("config: query setting: %w", err)
	}
	raw := map[string]string{}
	for _, v := range cells {
		key := lenientText(v[1])
		if _, dup := raw[key]; !dup {
			raw[key] = lenientText(v[2])
		}
	}
	return ParseSettings(raw), nil
}

// QueryText runs a read-only query against the database at dbPath and
// returns every cell as the text m2sh's listing commands print for it (see
// cellText: NULL is "(null)", reals in SQLite's format). Columns declared
// as TIMESTAMP come back from the driver as times and are printed as
// "YYYY-MM-DD HH:MM:SS"; select them as text (CAST(happened_at AS TEXT)) to get the
// stored text exactly.
func QueryText(dbPath, query string, args ...any) ([][]string, error) {
	db, err := open(dbPath, "ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cells, _, err := queryCells(db, query, args...)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", dbPath, err)
	}
	out := make([][]string, len(cells))
	for i, vals := range cells {
		out[i] = make([]string, len(vals))
		for j, v := range vals {
			out[i][j] = cellText(v)
		}
	}
	return out, nil
}

// isNoSuchTable reports whether err is SQLite's missing-table error.
func isNoSuchTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

var _ querier = (*sql.Tx)(nil)
