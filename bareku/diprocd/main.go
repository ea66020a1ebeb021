package diprocd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/bareku/bareku/bareku/diprocd/client"
	"github.com/bareku/bareku/bareku/diprocd/master"
	"github.com/bareku/bareku/bareku/diprocd/proto"
	"github.com/bareku/bareku/bareku/diprocd/spec"
	"github.com/bareku/bareku/bareku/diprocd/worker"
	"github.com/bareku/bareku/protocol/zmq"
)

const usage = `usage: diprocd <command> [flags]

commands:
  master -config master.json    hold every node's process list and publish it
  client -config client.json    follow the master for this node, rewrite the worker's file
  worker -config worker.json    keep this node's processes running
  status -config master.json    print every node and process as the master sees them
         [-control endpoint] [-json]
  scale  -config master.json [-node name] type=count ...
                                change process counts in the master's file
`

// Main runs the diprocd command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "master":
		err = runMaster(args[1:], stderr)
	case "client":
		err = runClient(args[1:], stderr)
	case "worker":
		err = runWorker(args[1:], stderr)
	case "status":
		err = runStatus(args[1:], stdout, stderr)
	case "scale":
		err = runScale(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "diprocd: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "diprocd %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func configFlag(name string, args []string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("diprocd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, fs.String("config", "", "configuration file (JSON)")
}

func parseConfig(fs *flag.FlagSet, conf *string, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *conf == "" {
		return errors.New("-config is required")
	}
	return nil
}

// daemon is what the three daemons share: a logger on their log file, a
// locked pid file, and signal handling.
type daemon struct {
	log     *slog.Logger
	logFile *os.File
	pidFile *os.File
	ctx     context.Context
	stop    context.CancelFunc
	hup     chan struct{}
}

func startDaemon(logPath, pidPath string, stderr io.Writer) (*daemon, error) {
	d := &daemon{hup: make(chan struct{}, 1)}
	var out io.Writer = stderr
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("diprocd: log file: %w", err)
		}
		d.logFile, out = f, f
	}
	d.log = slog.New(slog.NewTextHandler(out, nil))
	if pidPath != "" {
		f, err := lockPidFile(pidPath)
		if err != nil {
			d.close()
			return nil, err
		}
		d.pidFile = f
	}
	d.ctx, d.stop = signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	go func() {
		for range hups {
			select {
			case d.hup <- struct{}{}:
			default:
			}
		}
	}()
	return d, nil
}

// lockPidFile takes an exclusive lock on path, so that two daemons of the
// same kind never fight over one node, and writes the pid into it.
func lockPidFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("diprocd: pid file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("diprocd: pid file %s is locked: another daemon is running", path)
	}
	f.Truncate(0)
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("diprocd: pid file: %w", err)
	}
	return f, nil
}

func (d *daemon) close() {
	if d.stop != nil {
		d.stop()
	}
	if d.pidFile != nil {
		os.Remove(d.pidFile.Name())
		d.pidFile.Close()
	}
	if d.logFile != nil {
		d.logFile.Close()
	}
}

func runMaster(args []string, stderr io.Writer) error {
	fs, conf := configFlag("master", args, stderr)
	if err := parseConfig(fs, conf, args); err != nil {
		return err
	}
	cfg, err := spec.LoadMaster(*conf)
	if err != nil {
		return err
	}
	d, err := startDaemon(cfg.LogFile, cfg.PidFile, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	m, err := master.New(*conf, d.log)
	if err != nil {
		return err
	}
	go func() {
		for range d.hup {
			m.Reload()
		}
	}()
	return m.Run(d.ctx)
}

func runClient(args []string, stderr io.Writer) error {
	fs, conf := configFlag("client", args, stderr)
	host := fs.String("hostname", "", "host name for %H in node_name (default: the system's)")
	if err := parseConfig(fs, conf, args); err != nil {
		return err
	}
	if *host == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("diprocd: %w", err)
		}
		*host = h
	}
	cfg, err := spec.LoadClient(*conf, *host)
	if err != nil {
		return err
	}
	d, err := startDaemon(cfg.LogFile, cfg.PidFile, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	return client.New(cfg, d.log).Run(d.ctx)
}

func runWorker(args []string, stderr io.Writer) error {
	fs, conf := configFlag("worker", args, stderr)
	if err := parseConfig(fs, conf, args); err != nil {
		return err
	}
	cfg, err := spec.LoadWorker(*conf)
	if err != nil {
		return err
	}
	d, err := startDaemon(cfg.LogFile, cfg.PidFile, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	w, err := worker.New(*conf, d.log)
	if err != nil {
		return err
	}
	return w.Run(d.ctx, d.hup)
}

func runStatus(args []string, stdout, stderr io.Writer) error {
	fs, conf := configFlag("status", args, stderr)
	control := fs.String("control", "", "the master's control endpoint (default: master_control of -config)")
	asJSON := fs.Bool("json", false, "print the master's reply as JSON")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the master")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *control == "" {
		if *conf == "" {
			return errors.New("-config or -control is required")
		}
		cfg, err := spec.LoadMaster(*conf)
		if err != nil {
			return err
		}
		if cfg.Control == "" {
			return fmt.Errorf("%s has no master_control endpoint", *conf)
		}
		*control = cfg.Control
	}
	zctx, err := zmq.NewContext(1)
	if err != nil {
		return err
	}
	defer zctx.Term()
	rep, err := client.Call(zctx, *control, proto.Request{Op: proto.OpStatus}, *timeout)
	if err != nil {
		return err
	}
	if rep.Status == nil {
		return errors.New("the master sent no status")
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep.Status, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	return PrintStatus(stdout, *rep.Status)
}

// PrintStatus writes st as a table: one line per node, then one indented
// line per process.
func PrintStatus(w io.Writer, st proto.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range st.Nodes {
		last := "never"
		if !n.LastHeartbeat.IsZero() {
			last = st.Time.Sub(n.LastHeartbeat).Round(100*time.Millisecond).String() + " ago"
		}
		worker := "worker down"
		if n.WorkerAlive {
			worker = "worker up"
		}
		fmt.Fprintf(tw, "%s\t%s\theartbeat %s\tversion %d (applied %d)\t%s\n", n.Name, n.State, last, n.Version, n.Applied, worker)
		for _, p := range n.Procs {
			extra := ""
			switch {
			case p.PID != 0:
				extra = fmt.Sprintf("pid %d\tup %s\trss %s\tcpu %.1fs (%.0f%%)", p.PID,
					(time.Duration(p.UptimeSec * float64(time.Second))).Round(time.Second), bytesStr(p.RSSBytes), p.CPUSeconds, p.CPUPercent)
				if p.State == proto.StateReloadFailed {
					extra += fmt.Sprintf("\tretry in %.1fs\t%s", p.NextStartIn, p.LastError)
				}
			case p.NextStartIn > 0:
				extra = fmt.Sprintf("next start in %.1fs\t%s", p.NextStartIn, p.LastError)
			case p.LastError != "":
				extra = p.LastError
			}
			fmt.Fprintf(tw, "  %s\t%s\trestarts %d\t%s\n", p.Name, p.State, p.Restarts, extra)
		}
	}
	return tw.Flush()
}

func bytesStr(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%dK", n>>10)
	}
}

// runScale rewrites the counts of process types in the master's file and
// wakes the master (SIGHUP through its pid file) so it publishes now.
func runScale(args []string, stdout, stderr io.Writer) error {
	fs, conf := configFlag("scale", args, stderr)
	nodeName := fs.String("node", "", "only this node (default: every node that has the type)")
	if err := parseConfig(fs, conf, args); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, a := range fs.Args() {
		typ, n, ok := strings.Cut(a, "=")
		if !ok {
			typ, n, ok = strings.Cut(a, ":")
		}
		c, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || c < 0 || c > spec.MaxCount {
			return fmt.Errorf("%q is not type=count", a)
		}
		counts[typ] = c
	}
	if len(counts) == 0 {
		return errors.New("nothing to scale: give type=count arguments")
	}
	b, err := os.ReadFile(*conf)
	if err != nil {
		return err
	}
	out, changed, err := Scale(b, *nodeName, counts)
	if err != nil {
		return fmt.Errorf("%s: %w", *conf, err)
	}
	if err := spec.WriteFileAtomic(*conf, out, 0o600); err != nil {
		return err
	}
	for _, c := range changed {
		fmt.Fprintln(stdout, c)
	}
	if cfg, err := spec.LoadMaster(*conf); err == nil && cfg.PidFile != "" {
		if pb, err := os.ReadFile(cfg.PidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(pb))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGHUP)
			}
		}
	}
	return nil
}

// Scale sets the count of each process type named in counts, on node (or
// on every node when node is ""), in the master configuration b. It
// returns the new file and one line per change ("Scale web to 3
// processes on app1."). The result is validated like the master would.
func Scale(b []byte, node string, counts map[string]int) ([]byte, []string, error) {
	if _, err := spec.ParseMaster(b); err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, err
	}
	nodes, _ := doc["nodes"].(map[string]any)
	if node != "" {
		if _, ok := nodes[node]; !ok {
			return nil, nil, fmt.Errorf("no node %q", node)
		}
	}
	var changed []string
	found := map[string]bool{}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if node != "" && n != node {
			continue
		}
		procs, _ := nodes[n].([]any)
		for _, p := range procs {
			obj, _ := p.(map[string]any)
			name, _ := obj["name"].(string)
			c, ok := counts[name]
			if !ok {
				continue
			}
			found[name] = true
			obj["count"] = c
			changed = append(changed, fmt.Sprintf("Scale %s to %d processes on %s.", name, c, n))
		}
	}
	for typ := range counts {
		if !found[typ] {
			return nil, nil, fmt.Errorf("no process type %q", typ)
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	out = append(out, '\n')
	if _, err := spec.ParseMaster(out); err != nil {
		return nil, nil, err
	}
	return out, changed, nil
}
