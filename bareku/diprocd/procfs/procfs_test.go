package procfs

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
)

// A line from /proc/<pid>/stat of a process whose command is "a) b (c".
const tricky = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 987654 2998272 420 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	s, err := ParseStat([]byte(tricky))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{PID: 4242, State: 'S', PPID: 1, PGID: 4242, SID: 4242, UTime: 7, STime: 3, StartTime: 987654, RSSPages: 420, Command: "a) b (c"}
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestParseStatErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"4242 no parens S 1",
		"x (sh) S 1 2 3",
		"4242 (sh) S 1 2 3",
		"4242 (sh) SS 1 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 987654 2998272 420",
		"4242 (sh) S 1 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 -5 2998272 420",
		"4242 (sh) S one 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 9 2998272 420",
		") 4242 (sh S 1 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 9 2998272 420",
	} {
		if s, err := ParseStat([]byte(in)); err == nil {
			t.Errorf("ParseStat(%q) = %+v, want an error", in, s)
		}
	}
}

func TestSelf(t *testing.T) {
	s, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != os.Getpid() || s.PPID != os.Getppid() || s.StartTime == 0 || s.RSSPages <= 0 {
		t.Errorf("self: %+v", s)
	}
	if !Alive(s.PID, s.StartTime) {
		t.Error("Alive(self) is false")
	}
	if Alive(s.PID, s.StartTime+1) {
		t.Error("Alive accepted another start time for the same pid")
	}
	if _, err := ReadStat(1 << 30); err != ErrNotFound {
		t.Errorf("missing pid: %v", err)
	}
	if id, err := BootID(); err != nil || len(id) != 36 {
		t.Errorf("BootID = %q, %v", id, err)
	}
	if up, err := Uptime(); err != nil || up <= 0 {
		t.Errorf("Uptime = %v, %v", up, err)
	}
}

func TestGroupMembersAndZombies(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & sleep 30 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer syscall.Kill(-pid, syscall.SIGKILL)
	var members []int
	for i := 0; i < 200 && len(members) < 3; i++ {
		members, _ = GroupMembers(pid)
		if len(members) < 3 {
			exec.Command("/bin/sleep", "0.01").Run()
		}
	}
	if len(members) != 3 || !slices.Contains(members, pid) {
		t.Fatalf("group %d: %v, want the shell and two sleeps", pid, members)
	}
	st, _ := ReadStat(pid)
	syscall.Kill(-pid, syscall.SIGKILL)
	// Not yet reaped: a zombie is neither alive nor a member.
	for i := 0; i < 200; i++ {
		if s, err := ReadStat(pid); err == nil && s.State == 'Z' {
			break
		}
		exec.Command("/bin/sleep", "0.01").Run()
	}
	if Alive(pid, st.StartTime) {
		t.Error("a zombie counts as alive")
	}
	cmd.Wait()
	for i := 0; i < 200; i++ {
		if m, _ := GroupMembers(pid); len(m) == 0 {
			return
		}
		exec.Command("/bin/sleep", "0.01").Run()
	}
	t.Error("group members outlived SIGKILL")
}
