package m2sh

import (
	"fmt"
	"strings"

	"github.com/bareku/bareku/config"
)

// servers lists the servers of a config database:
//
//	SERVERS:
//	------
//	main localhost f400bf85-4538-4f7a-8908-000000000001
//
// with each column followed by a space, as m2sh prints query results.
func (s *session) servers(inv invocation) int {
	db := s.optionDefault(inv, "db", "config.sqlite")
	if !s.checkAccess(db, "config database") {
		return exitFailure
	}
	fmt.Fprint(s.stdout, "SERVERS:\n------\n")
	return s.printQuery(db, "SELECT name, default_host, uuid from server")
}

// printQuery prints every row of query, each cell followed by a space.
func (s *session) printQuery(db, query string, args ...any) int {
	rows, err := config.QueryText(db, query, args...)
	if err != nil {
		s.log.errorf(nil, "SQL error: %v", err)
		s.log.errorf(nil, "Query failed: %s.", db)
		return exitFailure
	}
	var b strings.Builder
	for _, row := range rows {
		for _, cell := range row {
			b.WriteString(cell)
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	fmt.Fprint(s.stdout, b.String())
	return exitOK
}
