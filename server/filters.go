package server

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/http1"
	tns "github.com/bareku/bareku/protocol/tnetstring"
)

// Mongrel2 loads filters and extended-request plugins as native .so files
// (spec §12). A Go server cannot load them, so the bundled ones are built
// in and selected by the file's base name, as the `filter` and `xrequest`
// tables name them; any other plugin is a startup (or reload) error.

// filterSet is what the config's filter and xrequest rows switched on.
type filterSet struct {
	null     bool // null.so: close handler- and proxy-routed requests silently
	rewrite  bool // rewrite.so: rewrite /proxy/... heads sent to proxies
	sendfile bool // sendfile.so (xrequest): ["sendfile", path] replies
}

func loadFilters(snap *config.Snapshot, log *slog.Logger) (filterSet, error) {
	var fs filterSet
	for _, f := range snap.Filters {
		switch filepath.Base(f.Name) {
		case "null.so":
			fs.null = true
			// Like the original, the null filter shows the settings it got.
			log.Info("null filter CONFIG: " + f.Settings)
		case "rewrite.so":
			fs.rewrite = true
		default:
			return fs, fmt.Errorf("server: filter %d %q is not supported: the built-in filters are null.so and rewrite.so", f.ID, f.Name)
		}
	}
	for _, x := range snap.XRequests {
		switch filepath.Base(x.Name) {
		case "sendfile.so":
			fs.sendfile = true
		default:
			return fs, fmt.Errorf("server: xrequest %d %q is not supported: the built-in extended request is sendfile.so", x.ID, x.Name)
		}
	}
	return fs, nil
}

// rewriteHead is the rewrite filter: a proxied request whose path starts
// with /proxy/ is sent as "METHOD /rest VERSION" followed by every header
// as lower-cased name:value (repeated names joined with ","), and the
// x-forwarded-for the server sets. The query string is dropped.
func rewriteHead(dst []byte, req *http1.Request, remoteIP []byte, noClobberXFF bool) ([]byte, bool) {
	const prefix = "/proxy/"
	if len(req.Path) < len(prefix) || string(req.Path[:len(prefix)]) != prefix {
		return dst, false
	}
	dst = append(dst, req.Method...)
	dst = append(dst, " /"...)
	dst = append(dst, req.Path[len(prefix):]...)
	dst = append(dst, ' ')
	dst = append(dst, req.Version...)
	dst = append(dst, "\r\n"...)
	written := map[string]bool{}
	for i, h := range req.Headers {
		name := string(h.Name)
		if written[name] || (!noClobberXFF && name == "x-forwarded-for") {
			continue
		}
		written[name] = true
		dst = append(dst, h.Name...)
		dst = append(dst, ':')
		dst = append(dst, h.Value...)
		for _, o := range req.Headers[i+1:] {
			if string(o.Name) == name {
				dst = append(dst, ',')
				dst = append(dst, o.Value...)
			}
		}
		dst = append(dst, "\r\n"...)
	}
	if !noClobberXFF {
		dst = append(dst, "x-forwarded-for:"...)
		dst = append(dst, remoteIP...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...), true
}

// sendfilePath validates the value of a ["sendfile", path] reply.
func sendfilePath(v tns.Value) (string, bool) {
	if v.Type != tns.TypeString || len(v.Str) == 0 {
		return "", false
	}
	return string(v.Str), true
}

// openForSendfile opens a regular file for a sendfile reply.
func openForSendfile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("sendfile: %s is not a regular file", path)
	}
	return f, nil
}
