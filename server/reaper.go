package server

import (
	"time"
)

// reap runs Mongrel2's connection reaper every limits.tick_timer seconds
// (spec §3.7).
func (s *Server) reap() {
	defer s.reaperWG.Done()
	for {
		tick := time.Duration(max(s.rt.Load().settings.TickTimer, 1)) * time.Second
		select {
		case <-s.done:
			return
		case now := <-time.After(tick):
			s.reapOnce(now)
		}
	}
}

// reapOnce closes every connection that trips more than limits.kill_limit
// of the three checks. Unlike Mongrel2 1.12.2, the handler is told
// (disconnect event).
func (s *Server) reapOnce(now time.Time) {
	st := s.rt.Load().settings
	if st.MinPing == 0 && st.MinReadRate == 0 && st.MinWriteRate == 0 {
		return
	}
	killed := 0
	for _, c := range s.conns.snapshot() {
		if reapable(c, now.Unix(), st.MinPing, st.MinReadRate, st.MinWriteRate, st.KillLimit) {
			c.close(closeReaped)
			killed++
		}
	}
	if killed > 0 {
		s.log.Warn("killed connections", "count", killed, "min_ping", st.MinPing,
			"min_write_rate", st.MinWriteRate, "min_read_rate", st.MinReadRate)
	}
}

func reapable(c *conn, now int64, minPing, minReadRate, minWriteRate, killLimit int) bool {
	age := func(t int64) int64 {
		if t == 0 {
			return 0
		}
		return now - t
	}
	triggers := 0
	if minPing != 0 && now-c.lastPing.Load() > int64(minPing) {
		triggers++
	}
	if minReadRate != 0 && c.bytesRead.Load()/(age(c.lastRead.Load())+1) < int64(minReadRate) {
		triggers++
	}
	if minWriteRate != 0 && c.bytesWritten.Load()/(age(c.lastWrite.Load())+1) < int64(minWriteRate) {
		triggers++
	}
	return triggers > killLimit
}
