package static

import (
	"bytes"
	"path/filepath"
	"strings"
)

// appendTarget appends to dst the file name Mongrel2 builds for a request
// before resolving it (spec §5), and reports false when the name can never
// be served. realbase is the canonical base without a trailing slash; prefix
// is known to start with '/' and to be no longer than path.
//
//	path ends in '/':  realbase + "/" + path[len(prefix):] + index
//	path == prefix:    realbase + path
//	otherwise:         realbase + "/" + path[len(prefix):]
//
// Only the part taken from the request and the index file name are
// percent-decoded; Mongrel2 also decoded the base, which only broke bases
// whose names contain '%'. A decoded NUL byte makes the name unservable:
// Mongrel2 silently truncated the name there, Go refuses such names.
func appendTarget(dst []byte, realbase, prefix string, path []byte, index string) ([]byte, bool) {
	dst = append(dst, realbase...)
	start := len(dst)
	switch {
	case path[len(path)-1] == '/':
		dst = append(dst, '/')
		dst = append(dst, path[len(prefix):]...)
		dst = append(dst, index...)
	case len(path) == len(prefix):
		dst = append(dst, path...)
	default:
		dst = append(dst, '/')
		dst = append(dst, path[len(prefix):]...)
	}
	dst = dst[:start+len(percentDecode(dst[start:]))]
	return dst, bytes.IndexByte(dst, 0) < 0
}

// percentDecode decodes %XX escapes in place and returns the shortened
// slice. Like Mongrel2 it leaves '+' alone and copies invalid escapes
// ("%zz", a trailing "%4") literally.
func percentDecode(b []byte) []byte {
	out := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '%' && i+2 < len(b) {
			if hi, ok := unhex(b[i+1]); ok {
				if lo, ok := unhex(b[i+2]); ok {
					c = hi<<4 | lo
					i += 2
				}
			}
		}
		b[out] = c
		out++
	}
	return b[:out]
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// realpath resolves name like realpath(3): every component must exist, only
// the last may be something other than a directory, and ".", ".." and
// symbolic links are resolved. name must be absolute.
func realpath(name string) (string, error) {
	// EvalSymlinks checks each component with lstat as it walks, so
	// "file/.." and "missing/.." fail as they do with realpath(3) instead
	// of being cleaned away lexically.
	return filepath.EvalSymlinks(name)
}

// canonicalBase turns a Dir base (relative to the current directory, which
// is the chroot when there is one) into the absolute, symlink-free form the
// containment check compares against, without a trailing slash.
func canonicalBase(base string) (string, error) {
	abs, err := filepath.Abs(base)
	if err != nil {
		return "", err
	}
	return realpath(abs)
}

// within reports whether the resolved name is the base directory itself or
// lies below it. Mongrel2 compared only the characters of the base, so
// "/srv/static2/x" passed for base "/srv/static"; comparing against
// base + "/" closes that hole (spec §14.2 item 1).
func within(name, realbase string) bool {
	if realbase == "/" {
		return strings.HasPrefix(name, "/")
	}
	return name == realbase ||
		len(name) > len(realbase) && name[len(realbase)] == '/' && strings.HasPrefix(name, realbase)
}
