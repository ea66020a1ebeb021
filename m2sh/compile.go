package m2sh

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/m2conf"
)

// compile turns a parsed mongrel2.conf into the rows `m2sh load` writes,
// numbering each table's rows in the order m2sh 1.12.2 inserts them:
// for each server of `servers`, the server, then each host with its routes
// (in m2conf.Dict.Entries order, each route's target inserted just before
// the first route that uses it), then its filters and xrequests; then the
// settings. A target object referenced by several routes (the same
// variable, or the same routes dict shared by hosts) is one row.
//
// Unlike m2sh 1.12.2, which skips or half-inserts what it cannot use and
// still commits, any problem is an error and nothing is returned: missing
// or mistyped arguments, a Dir base without a trailing '/', an unknown
// class where a target belongs, plugin settings that cannot be rendered.
// All problems found are returned together, sorted by position.
func compile(f *m2conf.File) (*config.Dataset, error) {
	c := &compiler{file: f.Name, targets: map[*m2conf.Class]int64{}}
	c.servers(f.Lookup("servers"))
	c.settings(f.Lookup("settings"))
	c.mimetypes(f.Lookup("mimetypes"))
	if len(c.errs) > 0 {
		slices.SortStableFunc(c.errs, func(a, b *m2conf.Error) int {
			return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
		})
		return nil, c.errs
	}
	return &c.data, nil
}

type compiler struct {
	file    string
	data    config.Dataset
	errs    m2conf.ErrorList
	targets map[*m2conf.Class]int64 // route targets already given a row
}

func (c *compiler) errorf(pos m2conf.Pos, format string, args ...any) {
	c.errs = append(c.errs, m2conf.Errorf(c.file, pos, format, args...))
}

// describe names a value for messages: "Host(...)" for a class, else its
// kind.
func describe(v m2conf.Value) string {
	if cls, ok := v.(*m2conf.Class); ok {
		return cls.Name + "(...)"
	}
	return "a " + v.Kind()
}

// asClass derefs v and checks that it is a class called one of names
// (compared case-insensitively when fold is set).
func (c *compiler) asClass(v m2conf.Value, fold bool, context string, names ...string) *m2conf.Class {
	v = m2conf.Deref(v)
	if cls, ok := v.(*m2conf.Class); ok {
		for _, n := range names {
			if cls.Name == n || fold && strings.EqualFold(cls.Name, n) {
				return cls
			}
		}
	}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = n + "(...)"
	}
	c.errorf(v.Pos(), "%s must be %s, not %s", context, strings.Join(want, ", "), describe(v))
	return nil
}

// arg fetches an argument of cls. A missing required argument is reported
// at the class; ok is false when the argument is absent.
func (c *compiler) arg(cls *m2conf.Class, name string, required bool) (m2conf.Value, bool) {
	a := cls.Arg(name)
	if a == nil {
		if required {
			c.errorf(cls.At, "%s(...) is missing the '%s' argument", cls.Name, name)
		}
		return nil, false
	}
	return m2conf.Deref(a.Value), true
}

func (c *compiler) typeError(cls *m2conf.Class, name, want string, v m2conf.Value) {
	c.errorf(v.Pos(), "argument '%s' of %s(...) must be a %s, not %s", name, cls.Name, want, describe(v))
}

// str returns a string argument, def when it is optional and absent.
func (c *compiler) str(cls *m2conf.Class, name string, required bool, def string) string {
	v, ok := c.arg(cls, name, required)
	if !ok {
		return def
	}
	s, isStr := v.(*m2conf.String)
	if !isStr {
		c.typeError(cls, name, "string", v)
		return def
	}
	return s.Value
}

// numText returns the literal text of a number argument, def when it is
// optional and absent.
func (c *compiler) numText(cls *m2conf.Class, name string, required bool, def string) (string, m2conf.Pos) {
	v, ok := c.arg(cls, name, required)
	if !ok {
		return def, m2conf.Pos{}
	}
	n, isNum := v.(*m2conf.Number)
	if !isNum {
		c.typeError(cls, name, "number", v)
		return def, v.Pos()
	}
	return n.Text, n.At
}

// num returns a number argument as an integer.
func (c *compiler) num(cls *m2conf.Class, name string, required bool, def int64) int64 {
	text, pos := c.numText(cls, name, required, "")
	if text == "" {
		return def
	}
	return c.parseInt(cls, name, text, pos)
}

func (c *compiler) parseInt(cls *m2conf.Class, name, text string, pos m2conf.Pos) int64 {
	n, err := (&m2conf.Number{Text: text}).Int()
	if err != nil {
		c.errorf(pos, "argument '%s' of %s(...): %s does not fit in 64 bits", name, cls.Name, text)
		return 0
	}
	return n
}

func (c *compiler) list(cls *m2conf.Class, name string, required bool) *m2conf.List {
	v, ok := c.arg(cls, name, required)
	if !ok {
		return nil
	}
	l, isList := v.(*m2conf.List)
	if !isList {
		c.typeError(cls, name, "list", v)
	}
	return l
}

func (c *compiler) dict(cls *m2conf.Class, name string, required bool) *m2conf.Dict {
	v, ok := c.arg(cls, name, required)
	if !ok {
		return nil
	}
	d, isDict := v.(*m2conf.Dict)
	if !isDict {
		c.typeError(cls, name, "dict", v)
	}
	return d
}

func (c *compiler) servers(a *m2conf.Assign) {
	if a == nil {
		c.errorf(m2conf.Pos{}, "no servers variable: set servers = [...] to the Server(...) values to load")
		return
	}
	list, ok := m2conf.Deref(a.Value).(*m2conf.List)
	if !ok {
		c.errorf(a.Value.Pos(), "servers must be a list of Server(...) values, not %s", describe(m2conf.Deref(a.Value)))
		return
	}
	for _, e := range list.Elems {
		if cls := c.asClass(e, false, "each element of servers", "Server"); cls != nil {
			c.server(cls)
		}
	}
}

func (c *compiler) server(cls *m2conf.Class) {
	id := int64(len(c.data.Servers) + 1)
	c.data.Servers = append(c.data.Servers, config.ServerRow{
		ID:          id,
		UUID:        c.str(cls, "uuid", true, ""),
		AccessLog:   c.str(cls, "access_log", true, ""),
		ErrorLog:    c.str(cls, "error_log", true, ""),
		PidFile:     c.str(cls, "pid_file", true, ""),
		ControlPort: c.str(cls, "control_port", false, ""),
		Chroot:      c.str(cls, "chroot", false, ""),
		DefaultHost: c.str(cls, "default_host", true, ""),
		Name:        c.str(cls, "name", true, ""),
		BindAddr:    c.str(cls, "bind_addr", false, "0.0.0.0"),
		Port:        c.num(cls, "port", true, 0),
		UseSSL:      c.num(cls, "use_ssl", false, 0),
	})
	if hosts := c.list(cls, "hosts", true); hosts != nil {
		for _, e := range hosts.Elems {
			if h := c.asClass(e, false, "each element of hosts", "Host"); h != nil {
				c.host(id, h)
			}
		}
	}
	c.plugins(id, cls, "filters", "Filter", &c.data.Filters)
	c.plugins(id, cls, "xrequests", "Xrequest", &c.data.XRequests)
}

func (c *compiler) host(serverID int64, cls *m2conf.Class) {
	id := int64(len(c.data.Hosts) + 1)
	name := c.str(cls, "name", true, "")
	c.data.Hosts = append(c.data.Hosts, config.HostRow{
		ID:       id,
		ServerID: serverID,
		Name:     name,
		Matching: c.str(cls, "matching", false, name),
	})
	routes := c.dict(cls, "routes", true)
	if routes == nil {
		return
	}
	for _, it := range routes.Entries() {
		target := c.asClass(it.Value, true, "the target of route '"+it.Key+"'", "Dir", "Proxy", "Handler")
		if target == nil {
			continue
		}
		c.data.Routes = append(c.data.Routes, config.RouteRow{
			ID:         int64(len(c.data.Routes) + 1),
			Path:       it.Key,
			HostID:     id,
			TargetID:   c.target(target),
			TargetType: strings.ToLower(target.Name),
		})
	}
}

// target returns the row id of a route target, adding the row the first
// time the object is met.
func (c *compiler) target(cls *m2conf.Class) int64 {
	if id, ok := c.targets[cls]; ok {
		return id
	}
	var id int64
	switch strings.ToLower(cls.Name) {
	case "dir":
		id = c.dir(cls)
	case "proxy":
		id = int64(len(c.data.Proxies) + 1)
		c.data.Proxies = append(c.data.Proxies, config.ProxyRow{
			ID:   id,
			Addr: c.str(cls, "addr", true, ""),
			Port: c.num(cls, "port", true, 0),
		})
	case "handler":
		id = c.handler(cls)
	}
	c.targets[cls] = id
	return id
}

func (c *compiler) handler(cls *m2conf.Class) int64 {
	id := int64(len(c.data.Handlers) + 1)
	row := config.HandlerRow{
		ID:        id,
		SendSpec:  c.str(cls, "send_spec", true, ""),
		SendIdent: c.str(cls, "send_ident", true, ""),
		RecvSpec:  c.str(cls, "recv_spec", true, ""),
		RecvIdent: c.str(cls, "recv_ident", true, ""),
		Protocol:  c.str(cls, "protocol", false, "json"),
	}
	// m2sh sets raw_payload only when the literal starts with 1.
	if raw, _ := c.numText(cls, "raw_payload", false, ""); strings.HasPrefix(raw, "1") {
		row.RawPayload = 1
	}
	c.data.Handlers = append(c.data.Handlers, row)
	return id
}

func (c *compiler) dir(cls *m2conf.Class) int64 {
	id := int64(len(c.data.Dirs) + 1)
	base := c.str(cls, "base", true, "")
	if a := cls.Arg("base"); a != nil {
		if s, ok := m2conf.Deref(a.Value).(*m2conf.String); ok && !strings.HasSuffix(s.Value, "/") {
			c.errorf(s.At, "Dir base '%s' must end with '/'", s.Value)
		}
	}
	// m2sh stores cache_ttl only when the literal does not start with 0,
	// so 007 is stored as 0.
	var ttl int64
	if text, pos := c.numText(cls, "cache_ttl", false, ""); text != "" && text[0] != '0' {
		ttl = c.parseInt(cls, "cache_ttl", text, pos)
	}
	c.data.Dirs = append(c.data.Dirs, config.DirRow{
		ID:           id,
		Base:         base,
		IndexFile:    c.str(cls, "index_file", true, ""),
		DefaultCType: c.str(cls, "default_ctype", true, ""),
		CacheTTL:     ttl,
	})
	return id
}

func (c *compiler) plugins(serverID int64, srv *m2conf.Class, arg, class string, rows *[]config.PluginRow) {
	list := c.list(srv, arg, false)
	if list == nil {
		return
	}
	for _, e := range list.Elems {
		cls := c.asClass(e, false, "each element of "+arg, class)
		if cls == nil {
			continue
		}
		name := c.str(cls, "name", true, "")
		settings := c.dict(cls, "settings", true)
		text := ""
		if settings != nil {
			var err error
			if text, err = renderSettings(c.file, settings); err != nil {
				var e *m2conf.Error
				if errors.As(err, &e) {
					c.errs = append(c.errs, e)
				}
			}
		}
		*rows = append(*rows, config.PluginRow{
			ID:       int64(len(*rows) + 1),
			ServerID: serverID,
			Name:     name,
			Settings: text,
		})
	}
}

// scalarText is the text m2sh stores for a setting or MIME type value: a
// string as written, a number as its literal.
func (c *compiler) scalarText(v m2conf.Value, what string) string {
	switch v := m2conf.Deref(v).(type) {
	case *m2conf.String:
		return v.Value
	case *m2conf.Number:
		return v.Text
	default:
		c.errorf(v.Pos(), "%s must be a string or a number, not %s", what, describe(v))
		return ""
	}
}

func (c *compiler) topDict(a *m2conf.Assign) *m2conf.Dict {
	if a == nil {
		return nil
	}
	d, ok := m2conf.Deref(a.Value).(*m2conf.Dict)
	if !ok {
		c.errorf(a.Value.Pos(), "%s must be a dict, not %s", a.Name, describe(m2conf.Deref(a.Value)))
	}
	return d
}

func (c *compiler) settings(a *m2conf.Assign) {
	d := c.topDict(a)
	if d == nil {
		return
	}
	for _, it := range d.Entries() {
		c.data.Settings = append(c.data.Settings, config.SettingRow{
			ID:    int64(len(c.data.Settings) + 1),
			Key:   it.Key,
			Value: c.scalarText(it.Value, "setting '"+it.Key+"'"),
		})
	}
}

// mimetypes adds the config's own MIME types. Each replaces the built-in
// type of its extension; the server refuses extensions without a leading
// dot and empty types, so those are reported here.
func (c *compiler) mimetypes(a *m2conf.Assign) {
	d := c.topDict(a)
	if d == nil {
		return
	}
	for _, it := range d.Entries() {
		typ := c.scalarText(it.Value, "MIME type '"+it.Key+"'")
		switch {
		case !strings.HasPrefix(it.Key, "."):
			c.errorf(it.KeyPos, "MIME extension '%s' must start with '.'", it.Key)
		case typ == "":
			c.errorf(m2conf.Deref(it.Value).Pos(), "MIME type for '%s' is empty", it.Key)
		}
		c.data.MIMETypes = append(c.data.MIMETypes, config.MIMEType{Extension: it.Key, Type: typ})
	}
}
