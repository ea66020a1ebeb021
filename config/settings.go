package config

import "maps"

// Settings holds the `setting` table: every key Mongrel2 1.12.2 reads, typed
// and with its default (spec §7.4), plus the raw rows.
//
// Integer settings are parsed like C atoi: leading white space and a sign
// are accepted, parsing stops at the first non-digit, and text without
// digits is 0. A key that is absent keeps its default; a key that is
// present always overrides it, even with an unparsable value (which then
// reads as 0), because that is what Mongrel2 does.
type Settings struct {
	// Raw maps every key of the table to its value as stored, including
	// keys this package does not know.
	Raw map[string]string

	ControlPort         string // control_port: control socket if server.control_port is empty
	CertDir             string // certdir: TLS certificate directory, ends with '/'
	SSLCiphers          string // ssl_ciphers: space-separated suite names; empty = library default
	SSLCAChain          string // ssl.ca_chain: CA file for client certificates
	SSLVerifyOptional   bool   // ssl.verify_optional
	SSLVerifyRequired   bool   // ssl.verify_required (wins over optional)
	Daemonize           bool   // server.daemonize
	ZeroMQThreads       int    // zeromq.threads
	TCPKeepalive        bool   // net.tcp_keepalive
	NoClobberXFF        bool   // no_clobber_xff
	RequestRelaxed      bool   // request.relaxed
	DownloadFlowControl bool   // download.flow_control
	UploadTempStore     string // upload.temp_store: mkstemp template; empty = no temp files
	UploadTempStoreMode string // upload.temp_store_mode: octal mode text
	UploadStream        bool   // upload.stream

	DisableAccessLogging bool // disable.access_logging

	BufferSize          int // limits.buffer_size
	ClientReadRetries   int // limits.client_read_retries
	ContentLength       int // limits.content_length
	HeaderCount         int // limits.header_count
	ConnectionStackSize int // limits.connection_stack_size
	HandlerStack        int // limits.handler_stack
	FDTaskStack         int // limits.fdtask_stack
	HandlerTargets      int // limits.handler_targets
	ProxyReadRetries    int // limits.proxy_read_retries
	ProxyReadRetryWarn  int // limits.proxy_read_retry_warn
	TickTimer           int // limits.tick_timer (seconds)
	MinPing             int // limits.min_ping (seconds, 0 disables)
	MinReadRate         int // limits.min_read_rate (bytes/s, 0 disables)
	MinWriteRate        int // limits.min_write_rate (bytes/s, 0 disables)
	KillLimit           int // limits.kill_limit
	DirSendBuffer       int // limits.dir_send_buffer
	DirMaxPath          int // limits.dir_max_path
	HostNameMax         int // limits.host_name
	URLPath             int // limits.url_path (read but not enforced by Mongrel2)
	MimeExtLen          int // limits.mime_ext_len
	MaxFD               int // superpoll.max_fd
	HotDividend         int // superpoll.hot_dividend

	// Bareku's own keys (Mongrel2 ignores them); see docs/compatibility.md.
	HeaderTimeout    int // limits.header_timeout: seconds for a started head, and per body read
	WriteTimeout     int // limits.write_timeout: seconds for one write to a client
	WebSocketMessage int // limits.websocket_message: bytes of one reassembled message
	// limits.handler_retire_grace: seconds a handler a reload removed keeps
	// its sockets, so replies to requests already sent still arrive.
	HandlerRetireGrace int
	DirRanges          bool   // dir.ranges: Range requests on Dir routes
	DirPrecompressed   bool   // dir.precompressed: .br/.gz siblings on Dir routes
	MetricsAddress     string // metrics.address: where /metrics is served; "" for none
}

type intSetting struct {
	key   string
	def   int
	field func(*Settings) *int
}

type boolSetting struct {
	key   string
	def   bool
	field func(*Settings) *bool
}

type stringSetting struct {
	key   string
	def   string
	field func(*Settings) *string
}

// The tables below are the single list of known keys and their defaults.
var intSettings = [...]intSetting{
	{"zeromq.threads", 1, func(s *Settings) *int { return &s.ZeroMQThreads }},
	{"limits.buffer_size", 4096, func(s *Settings) *int { return &s.BufferSize }},
	{"limits.client_read_retries", 5, func(s *Settings) *int { return &s.ClientReadRetries }},
	{"limits.content_length", 20480, func(s *Settings) *int { return &s.ContentLength }},
	{"limits.header_count", 1280, func(s *Settings) *int { return &s.HeaderCount }},
	{"limits.connection_stack_size", 32768, func(s *Settings) *int { return &s.ConnectionStackSize }},
	{"limits.handler_stack", 102400, func(s *Settings) *int { return &s.HandlerStack }},
	{"limits.fdtask_stack", 102400, func(s *Settings) *int { return &s.FDTaskStack }},
	{"limits.handler_targets", 128, func(s *Settings) *int { return &s.HandlerTargets }},
	{"limits.proxy_read_retries", 100, func(s *Settings) *int { return &s.ProxyReadRetries }},
	{"limits.proxy_read_retry_warn", 10, func(s *Settings) *int { return &s.ProxyReadRetryWarn }},
	{"limits.tick_timer", 10, func(s *Settings) *int { return &s.TickTimer }},
	{"limits.min_ping", 120, func(s *Settings) *int { return &s.MinPing }},
	{"limits.min_read_rate", 300, func(s *Settings) *int { return &s.MinReadRate }},
	{"limits.min_write_rate", 300, func(s *Settings) *int { return &s.MinWriteRate }},
	{"limits.kill_limit", 2, func(s *Settings) *int { return &s.KillLimit }},
	{"limits.dir_send_buffer", 16384, func(s *Settings) *int { return &s.DirSendBuffer }},
	{"limits.dir_max_path", 256, func(s *Settings) *int { return &s.DirMaxPath }},
	{"limits.host_name", 256, func(s *Settings) *int { return &s.HostNameMax }},
	{"limits.url_path", 256, func(s *Settings) *int { return &s.URLPath }},
	{"limits.mime_ext_len", 128, func(s *Settings) *int { return &s.MimeExtLen }},
	{"superpoll.max_fd", 10240, func(s *Settings) *int { return &s.MaxFD }},
	{"superpoll.hot_dividend", 4, func(s *Settings) *int { return &s.HotDividend }},
	{"limits.header_timeout", 30, func(s *Settings) *int { return &s.HeaderTimeout }},
	{"limits.write_timeout", 60, func(s *Settings) *int { return &s.WriteTimeout }},
	{"limits.websocket_message", 64 << 20, func(s *Settings) *int { return &s.WebSocketMessage }},
	{"limits.handler_retire_grace", 10, func(s *Settings) *int { return &s.HandlerRetireGrace }},
}

var boolSettings = [...]boolSetting{
	{"ssl.verify_optional", false, func(s *Settings) *bool { return &s.SSLVerifyOptional }},
	{"ssl.verify_required", false, func(s *Settings) *bool { return &s.SSLVerifyRequired }},
	{"server.daemonize", true, func(s *Settings) *bool { return &s.Daemonize }},
	{"net.tcp_keepalive", false, func(s *Settings) *bool { return &s.TCPKeepalive }},
	{"no_clobber_xff", false, func(s *Settings) *bool { return &s.NoClobberXFF }},
	{"request.relaxed", false, func(s *Settings) *bool { return &s.RequestRelaxed }},
	{"download.flow_control", false, func(s *Settings) *bool { return &s.DownloadFlowControl }},
	{"upload.stream", false, func(s *Settings) *bool { return &s.UploadStream }},
	{"disable.access_logging", false, func(s *Settings) *bool { return &s.DisableAccessLogging }},
	{"dir.ranges", false, func(s *Settings) *bool { return &s.DirRanges }},
	{"dir.precompressed", false, func(s *Settings) *bool { return &s.DirPrecompressed }},
}

var stringSettings = [...]stringSetting{
	{"control_port", "ipc://run/control", func(s *Settings) *string { return &s.ControlPort }},
	{"certdir", "", func(s *Settings) *string { return &s.CertDir }},
	{"ssl_ciphers", "", func(s *Settings) *string { return &s.SSLCiphers }},
	{"ssl.ca_chain", "", func(s *Settings) *string { return &s.SSLCAChain }},
	{"upload.temp_store", "", func(s *Settings) *string { return &s.UploadTempStore }},
	{"upload.temp_store_mode", "0600", func(s *Settings) *string { return &s.UploadTempStoreMode }},
	{"metrics.address", "", func(s *Settings) *string { return &s.MetricsAddress }},
}

// DefaultSettings returns the settings of an empty `setting` table.
func DefaultSettings() Settings {
	s := Settings{Raw: map[string]string{}}
	for _, d := range intSettings {
		*d.field(&s) = d.def
	}
	for _, d := range boolSettings {
		*d.field(&s) = d.def
	}
	for _, d := range stringSettings {
		*d.field(&s) = d.def
	}
	return s
}

// ParseSettings types the given key/value rows. Keys it does not know are
// only kept in Raw. raw is copied, not retained.
func ParseSettings(raw map[string]string) Settings {
	s := DefaultSettings()
	maps.Copy(s.Raw, raw)
	for _, d := range intSettings {
		if v, ok := raw[d.key]; ok {
			*d.field(&s) = atoi(v)
		}
	}
	for _, d := range boolSettings {
		if v, ok := raw[d.key]; ok {
			*d.field(&s) = atoi(v) != 0
		}
	}
	for _, d := range stringSettings {
		if v, ok := raw[d.key]; ok {
			*d.field(&s) = v
		}
	}
	return s
}

// atoi is C's atoi as glibc implements it: (int)strtol(s, NULL, 10). Out of
// range values saturate at the long limits and are then truncated to the
// 32 bits of an int, as in C.
func atoi(s string) int {
	return int(int32(strtol(s)))
}

// strtol is C strtol(s, NULL, 10) for a 64-bit long.
func strtol(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (1<<63)/10 {
			overflow = true
			continue
		}
		n = n*10 + uint64(s[i]-'0')
		if n > 1<<63 {
			overflow = true
		}
	}
	switch {
	case neg && (overflow || n > 1<<63):
		return -1 << 63
	case neg:
		return -int64(n)
	case overflow || n > 1<<63-1:
		return 1<<63 - 1
	default:
		return int64(n)
	}
}
