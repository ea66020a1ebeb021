package m2sh

import (
	"fmt"
	"strings"
	"syscall"

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
	if !s.checkAccess(db, "config database", readWritable) {
		return exitFailure
	}
	fmt.Fprint(s.stdout, "SERVERS:\n------\n")
	return s.printQuery(db, "SELECT name, default_host, uuid from server")
}

// hosts lists the hosts of the servers named -server. Like m2sh 1.12.2 it
// exits 0 even when the database or the option is missing.
func (s *session) hosts(inv invocation) int {
	db := s.optionDefault(inv, "db", "config.sqlite")
	server, ok := inv.options["server"]
	if !s.checkAccess(db, "config database", readWritable) {
		return exitOK
	}
	if !ok {
		s.log.errorf(nil, "You need to give a -server of the server to list hosts from.")
		return exitOK
	}
	fmt.Fprintf(s.stdout, "HOSTS in %s:\n-----\n", server)
	return s.printQuery(db, "SELECT id, name from host where server_id = (select id from server where name = ?)", server)
}

// routes lists the route paths of a host, chosen by -server and -host or
// by -id. Like m2sh 1.12.2 it exits 0 when the database or an option is
// missing, and -id is pasted into the query as SQL text (m2sh's %q), so
// `-id 1` and `-id "1 or 1"` work as they do there; the database is opened
// read-only.
func (s *session) routes(inv invocation) int {
	db := s.optionDefault(inv, "db", "config.sqlite")
	server, hasServer := inv.options["server"]
	host, hasHost := inv.options["host"]
	id, hasID := inv.options["id"]
	if !s.checkAccess(db, "config database", readWritable) {
		return exitOK
	}
	if hasID {
		fmt.Fprintf(s.stdout, "ROUTES in host id %s\n-----\n", id)
		return s.printQuery(db, "SELECT path from route where host_id="+strings.ReplaceAll(id, "'", "''"))
	}
	if !hasServer {
		s.log.errorf(nil, "Must set the -server name you want or use -id.")
		return exitOK
	}
	if !hasHost {
		s.log.errorf(nil, "Must set the -host in that server you want or use -id.")
		return exitOK
	}
	fmt.Fprintf(s.stdout, "ROUTES in host %s, server %s\n-----\n", host, server)
	return s.printQuery(db, "SELECT route.path from route, host, server where "+
		"host.name = ? and route.host_id = host.id and server.name = ? and "+
		"host.server_id = server.id", host, server)
}

// commitLog is `m2sh log`: the log table, oldest first. happened_at is
// read as text so it prints exactly as stored.
func (s *session) commitLog(inv invocation) int {
	db := s.optionDefault(inv, "db", "config.sqlite")
	if !s.checkAccess(db, "config database", readWritable) {
		return exitFailure
	}
	fmt.Fprint(s.stdout, "LOG MESSAGES:\n------\n")
	return s.printQuery(db, "SELECT CAST(happened_at AS TEXT), who, location, how, what, why FROM log ORDER BY happened_at")
}

// sqliteErrno is the errno m2sh 1.12.2 shows on messages logged after
// SQLite has run: SQLite probes for the database's -journal and -wal
// files, leaving ENOENT behind.
const sqliteErrno = syscall.ENOENT

// printQuery prints every row of query, each cell followed by a space, or
// warns that there were none.
func (s *session) printQuery(db, query string, args ...any) int {
	rows, err := config.QueryText(db, query, args...)
	if err != nil {
		s.log.errorf(nil, "SQL error: %v", err)
		s.log.errorf(nil, "Query failed: %s.", db)
		return exitFailure
	}
	if len(rows) == 0 {
		s.log.warnf(sqliteErrno, "No results to display.")
		return exitOK
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
