package m2sh

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bareku/bareku/config"
	"github.com/bareku/bareku/protocol/zmq"
)

// fakeControl binds a REP socket at endpoint and answers each request with
// the next of replies (no answer once they run out), recording requests.
// It stops when the test ends.
func fakeControl(t *testing.T, endpoint string, replies ...string) <-chan string {
	t.Helper()
	ctx, err := zmq.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	sock, err := ctx.Bind(zmq.Rep, endpoint, zmq.Options{Linger: 0, RecvTimeout: 50 * time.Millisecond})
	if err != nil {
		ctx.Term()
		t.Fatal(err)
	}
	reqs := make(chan string, 100)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ctx.Term()
		defer sock.Close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, err := sock.Recv()
			if err == zmq.ErrTimeout {
				continue
			}
			if err != nil {
				return
			}
			reqs <- string(req)
			if len(replies) == 0 {
				<-stop // leave the request unanswered
				return
			}
			sock.Send([]byte(replies[0]))
			replies = replies[1:]
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return reqs
}

func TestControlSession(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	data := &config.Dataset{Servers: []config.ServerRow{
		{ID: 1, UUID: "u1", Name: "main", DefaultHost: "h", Chroot: "./", PidFile: "/p", ControlPort: "ipc://run/ctl", Port: 1},
	}}
	if err := config.Write(filepath.Join(dir, "c.sqlite"), data); err != nil {
		t.Fatal(err)
	}
	os.Mkdir("run", 0o755)
	reqs := fakeControl(t, "ipc://.//run/ctl",
		"49:7:headers,7:4:time,]4:rows,18:14:10:1795790297,]]}",
		"74:4:code,18:CALLBACK_NOT_FOUND,5:error,33:Callback requested was not found.,}",
		"0:}",
	)
	var out, errOut bytes.Buffer
	s := testSession(&out, &errOut, map[string]string{"HOME": "/h"})
	s.interactive = true
	s.controlTimeout = 300 * time.Millisecond
	s.stdin = strings.NewReader("time\nx b=1 a=2 c=x zz=3 k=4\nkill id=1x\n\nstatus  what=net\nuuid\nhelp\n")
	if rc := s.run([]string{"control", "-db", "c.sqlite", "-uuid", "u1"}); rc != 0 {
		t.Fatalf("rc %d: %s", rc, errOut.String())
	}
	// The requests as m2sh 1.12.2 sends them (without its trailing NUL),
	// the dict in its hash order.
	wantReqs := []string{
		"10:4:time,0:}]",
		"49:1:x,41:2:zz,1:3#1:a,1:2#1:k,1:4#1:b,1:1#1:c,1:x,}]",
		"10:4:uuid,0:}]",
		"10:4:help,0:}]",
	}
	for _, want := range wantReqs {
		select {
		case got := <-reqs:
			if got != want {
				t.Errorf("request %q, want %q", got, want)
			}
		case <-time.After(time.Second):
			t.Fatalf("no request %q", want)
		}
	}
	const prompt = "m2 [main]> "
	wantOut := prompt + "time:  1795790297\n" + prompt + "ERROR: Callback requested was not found.\n" +
		prompt + prompt + prompt + prompt + prompt + prompt + "\n"
	if out.String() != wantOut {
		t.Errorf("stdout %q\nwant   %q", out.String(), wantOut)
	}
	e := func(errno, msg string) string { return stamp + "[ERROR] (errno: " + errno + ") " + msg + "\n" }
	wantErr := stamp + "[INFO] Connecting to control port ipc://.//run/ctl\n" +
		e("None", "Failed to parse integer.") + e("None", "Didn't render to a valid TNetstring.") + e("None", "Invalid command, try again.") +
		e("None", "USAGE: command arg1=val1 arg2=val2") + e("None", "Invalid command, try again.") +
		e("Resource temporarily unavailable", "Server returned an invalid response, need a 'headers'.")
	if !strings.HasPrefix(errOut.String(), wantErr) {
		t.Fatalf("stderr %q\nwant prefix %q", errOut.String(), wantErr)
	}
	// help went unanswered: the wait is bounded and reported.
	if rest := errOut.String()[len(wantErr):]; !strings.Contains(rest, "Failed to receive message from control port") {
		t.Errorf("stderr ends %q", rest)
	}
}
