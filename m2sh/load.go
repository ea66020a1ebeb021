package m2sh

import (
	"errors"
	"os"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/config/m2conf"
)

// load is `m2sh load` (alias `config`): parse the config file, replace the
// configuration in the database with it, then add a row to the commit log.
//
// The config file is parsed and checked completely before the database is
// opened, so a config with any error leaves the database untouched (not
// even created) and the command fails with every error found, each as
// file:line:col. m2sh 1.12.2 instead writes what it can and exits 0.
func (s *session) load(inv invocation) int {
	db := s.optionDefault(inv, "db", "config.sqlite")
	conf := s.optionDefault(inv, "config", "mongrel2.conf")
	if db == "" {
		// SQLite would quietly use a temporary database.
		s.log.errorf(nil, "No config database given: -db needs a file name.")
		return exitFailure
	}
	if !s.checkAccess(conf, "config file", readable) {
		return exitFailure
	}
	src, err := os.ReadFile(conf)
	if err != nil {
		s.log.errorf(err, "Failed to open file: %s", conf)
		return exitFailure
	}
	file, err := m2conf.Parse(conf, src)
	if err == nil {
		var data *config.Dataset
		if data, err = compile(file); err == nil {
			if err = config.Write(db, data); err != nil {
				s.log.errorf(err, "Failed to write config db %s: %v", db, err)
				return exitFailure
			}
			// Like m2sh, a failure to log is only reported: the
			// configuration is already in place.
			s.logAction(db, config.LogEntry{What: "load", How: conf, Why: "command"}, "", false)
			return exitOK
		}
	}
	var list m2conf.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			s.log.errorf(nil, "%s", e)
		}
	} else {
		s.log.errorf(nil, "%v", err)
	}
	s.log.errorf(nil, "Failed to load the config file %s; the database %s was not changed.", conf, db)
	return exitFailure
}
