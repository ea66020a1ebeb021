package config

import (
	"reflect"
	"testing"
)

// The defaults of spec §7.4, key by key.
func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	ints := map[string]int{
		"zeromq.threads":               s.ZeroMQThreads,
		"limits.buffer_size":           s.BufferSize,
		"limits.client_read_retries":   s.ClientReadRetries,
		"limits.content_length":        s.ContentLength,
		"limits.header_count":          s.HeaderCount,
		"limits.connection_stack_size": s.ConnectionStackSize,
		"limits.handler_stack":         s.HandlerStack,
		"limits.fdtask_stack":          s.FDTaskStack,
		"limits.handler_targets":       s.HandlerTargets,
		"limits.proxy_read_retries":    s.ProxyReadRetries,
		"limits.proxy_read_retry_warn": s.ProxyReadRetryWarn,
		"limits.tick_timer":            s.TickTimer,
		"limits.min_ping":              s.MinPing,
		"limits.min_read_rate":         s.MinReadRate,
		"limits.min_write_rate":        s.MinWriteRate,
		"limits.kill_limit":            s.KillLimit,
		"limits.dir_send_buffer":       s.DirSendBuffer,
		"limits.dir_max_path":          s.DirMaxPath,
		"limits.host_name":             s.HostNameMax,
		"limits.url_path":              s.URLPath,
		"limits.mime_ext_len":          s.MimeExtLen,
		"superpoll.max_fd":             s.MaxFD,
		"superpoll.hot_dividend":       s.HotDividend,
	}
	wantInts := map[string]int{
		"zeromq.threads": 1, "limits.buffer_size": 4096, "limits.client_read_retries": 5,
		"limits.content_length": 20480, "limits.header_count": 1280,
		"limits.connection_stack_size": 32768, "limits.handler_stack": 102400,
		"limits.fdtask_stack": 102400, "limits.handler_targets": 128,
		"limits.proxy_read_retries": 100, "limits.proxy_read_retry_warn": 10,
		"limits.tick_timer": 10, "limits.min_ping": 120, "limits.min_read_rate": 300,
		"limits.min_write_rate": 300, "limits.kill_limit": 2, "limits.dir_send_buffer": 16384,
		"limits.dir_max_path": 256, "limits.host_name": 256, "limits.url_path": 256,
		"limits.mime_ext_len": 128, "superpoll.max_fd": 10240, "superpoll.hot_dividend": 4,
	}
	if !reflect.DeepEqual(ints, wantInts) {
		t.Errorf("integer defaults\n got %v\nwant %v", ints, wantInts)
	}
	bools := []struct {
		key  string
		got  bool
		want bool
	}{
		{"server.daemonize", s.Daemonize, true},
		{"ssl.verify_optional", s.SSLVerifyOptional, false},
		{"ssl.verify_required", s.SSLVerifyRequired, false},
		{"net.tcp_keepalive", s.TCPKeepalive, false},
		{"no_clobber_xff", s.NoClobberXFF, false},
		{"request.relaxed", s.RequestRelaxed, false},
		{"download.flow_control", s.DownloadFlowControl, false},
		{"upload.stream", s.UploadStream, false},
		{"disable.access_logging", s.DisableAccessLogging, false},
	}
	for _, b := range bools {
		if b.got != b.want {
			t.Errorf("%s = %v, want %v", b.key, b.got, b.want)
		}
	}
	strs := []struct{ key, got, want string }{
		{"control_port", s.ControlPort, "ipc://run/control"},
		{"certdir", s.CertDir, ""},
		{"ssl_ciphers", s.SSLCiphers, ""},
		{"ssl.ca_chain", s.SSLCAChain, ""},
		{"upload.temp_store", s.UploadTempStore, ""},
		{"upload.temp_store_mode", s.UploadTempStoreMode, "0600"},
	}
	for _, c := range strs {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.key, c.got, c.want)
		}
	}
	if s.Raw == nil || len(s.Raw) != 0 {
		t.Errorf("Raw = %v, want an empty map", s.Raw)
	}
}

func TestParseSettings(t *testing.T) {
	raw := map[string]string{
		"limits.buffer_size":     "8192",
		"limits.min_ping":        "0",
		"limits.kill_limit":      " 7 apples",
		"limits.tick_timer":      "soon",
		"limits.content_length":  "",
		"server.daemonize":       "0",
		"net.tcp_keepalive":      "2",
		"no_clobber_xff":         "yes",
		"certdir":                "/certs/",
		"upload.temp_store_mode": "0666",
		"my.own.key":             "kept",
	}
	s := ParseSettings(raw)
	checks := []struct {
		name      string
		got, want any
	}{
		{"buffer size", s.BufferSize, 8192},
		{"zero overrides a default", s.MinPing, 0},
		{"atoi stops at the first non-digit", s.KillLimit, 7},
		{"no digits reads as 0", s.TickTimer, 0},
		{"empty reads as 0", s.ContentLength, 0},
		{"absent key keeps its default", s.MinReadRate, 300},
		{"daemonize off", s.Daemonize, false},
		{"any non-zero number is true", s.TCPKeepalive, true},
		{"a word is 0, so false", s.NoClobberXFF, false},
		{"string setting", s.CertDir, "/certs/"},
		{"string default overridden", s.UploadTempStoreMode, "0666"},
		{"string default kept", s.ControlPort, "ipc://run/control"},
		{"unknown key kept raw", s.Raw["my.own.key"], "kept"},
		{"known key kept raw", s.Raw["limits.kill_limit"], " 7 apples"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	raw["limits.buffer_size"] = "1"
	if s.BufferSize != 8192 || s.Raw["limits.buffer_size"] != "8192" {
		t.Error("ParseSettings retained the caller's map")
	}
}

func TestAtoi(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 0},
		{"42", 42},
		{"  \t\n42", 42},
		{"+42", 42},
		{"-42", -42},
		{"42abc", 42},
		{"4 2", 4},
		{"abc", 0},
		{"", 0},
		{"-", 0},
		{"+-1", 0},
		{"2147483647", 2147483647},
		// glibc atoi is (int)strtol: the long is truncated to 32 bits.
		{"2147483648", -2147483648},
		{"4294967296", 0},
		{"99999999999", 1215752191},
		// strtol saturates at LONG_MAX / LONG_MIN before the truncation.
		{"99999999999999999999999", -1},
		{"-99999999999999999999999", 0},
	}
	for _, tc := range tests {
		if got := atoi(tc.in); got != tc.want {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestStrtol(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"9223372036854775807", 9223372036854775807},
		{"9223372036854775808", 9223372036854775807},
		{"-9223372036854775808", -9223372036854775808},
		{"-9223372036854775809", -9223372036854775808},
		{"123456789012345678901234567890", 9223372036854775807},
		{" -17x", -17},
	}
	for _, tc := range tests {
		if got := strtol(tc.in); got != tc.want {
			t.Errorf("strtol(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
