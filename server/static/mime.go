package static

// contentType returns the MIME type for a resolved file name: the type of
// the longest extension in the table that the lower-cased name ends with
// (".tar.gz" beats ".gz"), or def when none does. Table keys start with '.'
// as the loader requires, so only suffixes starting at a '.' are tried,
// leftmost (longest) first. Keys with upper-case letters can never match,
// as in Mongrel2.
func contentType(name string, table map[string]string, def string) string {
	lower := make([]byte, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for i, c := range lower {
		if c != '.' {
			continue
		}
		if t, ok := table[string(lower[i:])]; ok {
			return t
		}
	}
	return def
}
