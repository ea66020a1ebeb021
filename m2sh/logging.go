package m2sh

import (
	"syscall"

	"github.com/bareku/bareku/config"
)

// commit is `m2sh commit`: add a row to the log table. -where defaults to
// the host name. m2sh 1.12.2 aborts with a double free after inserting the
// row when -where is given; here it exits 0.
//
// m2sh stores NULL for a missing -why, which `m2sh log` prints as
// "(null)"; config.AppendLog writes text only, so "" is stored instead.
func (s *session) commit(inv invocation) int {
	what := s.optionDefault(inv, "what", "")
	why := inv.options["why"]
	where, hasWhere := inv.options["where"]
	how := s.optionDefault(inv, "how", "m2sh")
	db := s.optionDefault(inv, "db", "config.sqlite")
	if !s.checkAccess(db, "config database", readWritable) {
		return exitFailure
	}
	if !s.logAction(db, config.LogEntry{What: what, How: how, Why: why}, where, hasWhere) {
		return exitFailure
	}
	return exitOK
}

// logAction adds e to the log table of db with the login name as Who and
// where (or, unless hasWhere, the host name) as Location. A database that
// cannot be read and written is skipped silently, as m2sh does.
func (s *session) logAction(db string, e config.LogEntry, where string, hasWhere bool) bool {
	who, ok := s.loginName()
	if !ok {
		s.log.errorf(syscall.ENXIO, "getlogin failed and no LOGNAME env variable, how'd you do that?")
		return false
	}
	if syscall.Access(db, readWritable) != nil {
		return true
	}
	if !hasWhere {
		var err error
		if where, err = s.hostname(); err != nil {
			s.log.errorf(err, "Failed to get your machines hostname, use -where to force it.")
			return false
		}
	}
	e.Who, e.Location = who, where
	if err := config.AppendLog(db, e); err != nil {
		s.log.errorf(nil, "Failed to add log message, you're flying blind: %v", err)
		return false
	}
	if who == "root" {
		s.log.warnf(nil, "You shouldn't be running things as %s.  Use a safe user instead.", who)
	}
	return true
}
