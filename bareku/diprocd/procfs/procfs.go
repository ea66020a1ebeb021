package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// TicksPerSecond is USER_HZ, the unit of the time fields of
// /proc/<pid>/stat; it is 100 on every Linux architecture Go supports.
const TicksPerSecond = 100

// Stat is the part of /proc/<pid>/stat that diprocd uses.
type Stat struct {
	PID       int
	State     byte   // R, S, D, Z, T, ...
	PPID      int    // parent
	PGID      int    // process group
	SID       int    // session
	UTime     uint64 // user CPU, ticks
	STime     uint64 // system CPU, ticks
	StartTime uint64 // ticks after boot: with the pid, the process's identity
	RSSPages  int64  // resident set, pages
	Command   string // comm, at most 15 bytes
}

// ErrNotFound means there is no process with that pid.
var ErrNotFound = errors.New("procfs: no such process")

// ReadStat reads /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return Stat{}, ErrNotFound
		}
		return Stat{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseStat(b)
}

// ParseStat parses the content of /proc/<pid>/stat. The command name may
// hold spaces and parentheses, so the fields are counted from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(b, '(')
	close := bytes.LastIndexByte(b, ')')
	if open < 1 || close < open {
		return s, errors.New("procfs: stat: no command field")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil || pid <= 0 {
		return s, errors.New("procfs: stat: bad pid")
	}
	s.PID = pid
	s.Command = string(b[open+1 : close])
	f := strings.Fields(string(b[close+1:]))
	// f[0] is field 3 of proc(5); field n is f[n-3]. rss is field 24.
	if len(f) < 22 || len(f[0]) != 1 {
		return s, errors.New("procfs: stat: too few fields")
	}
	s.State = f[0][0]
	ints := []struct {
		field int
		dst   *int
	}{{4, &s.PPID}, {5, &s.PGID}, {6, &s.SID}}
	for _, x := range ints {
		v, err := strconv.Atoi(f[x.field-3])
		if err != nil {
			return s, fmt.Errorf("procfs: stat: field %d: %w", x.field, err)
		}
		*x.dst = v
	}
	uints := []struct {
		field int
		dst   *uint64
	}{{14, &s.UTime}, {15, &s.STime}, {22, &s.StartTime}}
	for _, x := range uints {
		v, err := strconv.ParseUint(f[x.field-3], 10, 64)
		if err != nil {
			return s, fmt.Errorf("procfs: stat: field %d: %w", x.field, err)
		}
		*x.dst = v
	}
	rss, err := strconv.ParseInt(f[24-3], 10, 64)
	if err != nil {
		return s, fmt.Errorf("procfs: stat: field 24: %w", err)
	}
	s.RSSPages = rss
	return s, nil
}

// Alive reports whether pid is a live (not zombie) process that started at
// startTime, that is, the very process that was recorded, not a later one
// that reused its pid.
func Alive(pid int, startTime uint64) bool {
	s, err := ReadStat(pid)
	return err == nil && s.State != 'Z' && s.State != 'X' && s.StartTime == startTime
}

// GroupMembers lists the live (not zombie) processes whose process group
// is pgid.
func GroupMembers(pgid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("procfs: %w", err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, err := ReadStat(pid)
		if err != nil || s.PGID != pgid || s.State == 'Z' || s.State == 'X' {
			continue
		}
		out = append(out, pid)
	}
	return out, nil
}

// BootID returns the kernel's boot id: start times only compare within
// one boot.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("procfs: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Uptime returns the seconds since boot, to turn StartTime into a time.
func Uptime() (float64, error) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, fmt.Errorf("procfs: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("procfs: uptime: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("procfs: uptime: %w", err)
	}
	return v, nil
}
