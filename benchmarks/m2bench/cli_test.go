package m2bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bareku/bareku/config"
)

func TestCommandLine(t *testing.T) {
	srv := newCountingServer(t, nil)
	send, recv := endpoints(t)
	startEcho(t, send, recv, 0, nil)
	report := filepath.Join(t.TempDir(), "r.html")
	db := filepath.Join(t.TempDir(), "config.sqlite")
	// The row's recv_spec is wrong on purpose: -recv overrides it.
	if err := config.Write(db, &config.Dataset{Handlers: []config.HandlerRow{
		{ID: 3, SendSpec: send, SendIdent: "from-db", RecvSpec: "ipc:///nonexistent/dir/x", Protocol: "tnetstring"},
	}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring
		jsonOut    bool
		wantReport bool
	}{
		{name: "no args", args: nil, code: 2, stderr: "usage:"},
		{name: "unknown command", args: []string{"bogus"}, code: 2, stderr: `unknown command "bogus"`},
		{name: "help", args: []string{"help"}, code: 0, stdout: "m2bench compare"},
		{name: "http flag help", args: []string{"http", "-h"}, code: 0, stderr: "-rate"},
		{name: "http missing url", args: []string{"http"}, code: 2, stderr: "usage: m2bench http"},
		{name: "http bad flag", args: []string{"http", "-nope", srv.URL}, code: 2, stderr: "-nope"},
		{name: "http text", args: []string{"http", "-c", "2", "-d", "200ms", srv.URL}, code: 0, stdout: "p99.9"},
		{name: "http json and report", args: []string{"http", "-c", "2", "-d", "200ms", "-json", "-report", report, srv.URL},
			code: 0, jsonOut: true, wantReport: true},
		{name: "http bad url", args: []string{"http", "-d", "100ms", "gopher://x"}, code: 1, stderr: "scheme must be http or https"},
		{name: "handler needs sockets", args: []string{"handler"}, code: 2, stderr: "give -db, or -send and -recv"},
		{name: "handler bad protocol", args: []string{"handler", "-send", send, "-recv", recv, "-protocol", "xml"}, code: 2, stderr: "want json or tnetstring"},
		{name: "handler", args: []string{"handler", "-send", send, "-recv", recv, "-c", "2", "-d", "200ms", "-json"}, code: 0, jsonOut: true},
		{name: "handler from db", args: []string{"handler", "-db", db, "-handler-id", "3", "-recv", recv, "-c", "1", "-d", "100ms"},
			code: 0, stdout: "handler, 1 connections"},
		{name: "handler missing row", args: []string{"handler", "-db", db, "-handler-id", "4"}, code: 1, stderr: "no handler with id 4"},
		{name: "compare", args: []string{"compare", "-c", "1", "-d", "100ms", "-rounds", "1", "-settle", "10ms", "-names", "one,two", srv.URL, srv.URL},
			code: 0, stdout: "two/one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stdout %q\nstderr %q\nwant %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
			if tt.jsonOut {
				var r Result
				if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.Requests == 0 || len(r.Curve) == 0 {
					t.Errorf("JSON output %v: %s", err, stdout.String())
				}
			}
			if tt.wantReport {
				b, err := os.ReadFile(report)
				if err != nil || !bytes.Contains(b, []byte("<svg")) {
					t.Errorf("report: %v", err)
				}
			}
		})
	}
}
