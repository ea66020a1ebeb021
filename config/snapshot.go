package config

// Snapshot is one server's complete configuration as Load read it. It is
// never modified after Load returns: share it freely, and build a new one
// to change anything.
type Snapshot struct {
	Server   Server
	Settings Settings
	// MIME maps an extension (with its leading dot, as stored) to a type.
	MIME map[string]string
	// Hosts are in the order the host query returned them.
	Hosts []*Host
	// DefaultHost is the last host whose name equals Server.DefaultHostName.
	DefaultHost *Host
	Filters     []Plugin
	XRequests   []Plugin
	// Warnings lists what Mongrel2 logs but tolerates: duplicate settings,
	// handlers sharing one socket spec, several servers with one uuid, ...
	Warnings []string
}

// Server is a row of the `server` table.
type Server struct {
	ID int64
	// Name is m2sh's label for the server. Mongrel2 never reads it; Load
	// fills it leniently (NULL or a missing column read as "").
	Name            string
	UUID            string
	DefaultHostName string
	BindAddr        string
	Port            int
	Chroot          string
	AccessLog       string
	ErrorLog        string
	PidFile         string
	UseSSL          bool
	// ControlPort is resolved: the column if it is not empty, else the
	// control_port setting, else ipc://run/control.
	ControlPort string
	// ErrorLogLevel is Mongrel2 1.13's error_log_level column
	// (0 error, 1 warn, 2 info, 3 debug); 2 when the column is absent.
	ErrorLogLevel int
}

// Host is a row of the `host` table with its routes.
type Host struct {
	ID       int64
	Name     string
	Matching string
	// Routes are in the order the route query returned them.
	Routes []*Route
}

// Route is a row of the `route` table. Exactly one of Handler, Dir and
// Proxy is set, according to TargetType. Routes whose target is the same
// row share the same pointer, and handlers are shared by socket specs too
// (see Handler).
type Route struct {
	ID         int64
	Path       string
	TargetType string // "dir", "proxy" or "handler"
	Handler    *Handler
	Dir        *Dir
	Proxy      *Proxy
}

// Handler is a row of the `handler` table. Two rows with the same SendSpec
// and RecvSpec are one Handler: the first row loaded wins, so the later
// row's idents, RawPayload and Protocol are ignored, as in Mongrel2.
type Handler struct {
	ID         int64
	SendSpec   string
	SendIdent  string
	RecvSpec   string
	RecvIdent  string
	RawPayload bool
	Protocol   string // "json" or "tnetstring"
}

// Dir is a row of the `directory` table.
type Dir struct {
	ID           int64
	Base         string
	IndexFile    string
	DefaultCType string
	CacheTTL     int
}

// Proxy is a row of the `proxy` table.
type Proxy struct {
	ID   int64
	Addr string
	Port int
}

// Plugin is a row of the `filter` or `xrequest` table. Settings is the
// stored tnetstring dict text, e.g. "0:}".
type Plugin struct {
	ID       int64
	Name     string
	Settings string
}
