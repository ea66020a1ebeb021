package m2bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bareku/bareku/protocol/m2"
)

const usage = `usage:
  m2bench http    [flags] URL          load an HTTP server (or a websocket echo with -ws)
  m2bench handler [flags]              act as the server towards a Mongrel2 handler
  m2bench compare [flags] URL_A URL_B  the same load on two targets in alternating rounds
Run "m2bench <command> -h" for a command's flags.
`

// Main runs the m2bench command line (args without the program name),
// printing results on stdout and usage, errors and the live progress line
// (when stderr is a terminal) on stderr. It returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "http":
		err = mainHTTP(ctx, args[1:], stdout, stderr)
	case "handler":
		err = mainHandler(ctx, args[1:], stdout, stderr)
	case "compare":
		err = mainCompare(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "m2bench: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// errUsage reports bad command-line arguments, already explained on stderr.
var errUsage = errors.New("m2bench: usage")

// common are the flags every command has.
type common struct {
	w      Workload
	json   bool
	report string
	body   string
	size   int
}

func (c *common) register(fs *flag.FlagSet) {
	fs.IntVar(&c.w.Connections, "c", 10, "concurrent connections (simulated clients in handler mode)")
	fs.DurationVar(&c.w.Duration, "d", 10*time.Second, "duration of a run")
	fs.Float64Var(&c.w.Rate, "rate", 0, "total requests per second, open loop with latency from the intended send time (0: closed loop)")
	fs.DurationVar(&c.w.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.BoolVar(&c.json, "json", false, "print the results as JSON")
	fs.StringVar(&c.report, "report", "", "write a self-contained HTML report with plots to this `file`")
	fs.StringVar(&c.body, "body", "", "request body (or websocket message)")
	fs.IntVar(&c.size, "body-size", 0, "request body of this many bytes ('x'), instead of -body")
}

func (c *common) payload() []byte {
	if c.size > 0 {
		return []byte(strings.Repeat("x", c.size))
	}
	return []byte(c.body)
}

// parse parses args, writing usage to stderr on error.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer, positional string, n int) ([]string, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: m2bench %s [flags] %s\n", fs.Name(), positional)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if fs.NArg() != n {
		fs.Usage()
		return nil, errUsage
	}
	return fs.Args(), nil
}

// progressTo returns stderr when it is a terminal, else nil.
func progressTo(stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

func httpFlags(fs *flag.FlagSet, o *HTTPOptions, c *common) *headerList {
	c.register(fs)
	fs.StringVar(&o.Method, "method", "GET", "request method")
	hs := &headerList{}
	fs.Var(hs, "H", "extra request `header` \"Name: value\" (repeatable)")
	fs.BoolVar(&o.Close, "close", false, "one connection per request (Connection: close)")
	fs.BoolVar(&o.WebSocket, "ws", false, "websocket echo mode: send -body as a text message, wait for the echo")
	fs.BoolVar(&o.Insecure, "k", false, "skip TLS certificate verification")
	return hs
}

// output prints a single result as asked.
func output(r *Result, c *common, stdout io.Writer) error {
	if c.report != "" {
		if err := writeReportFile(c.report, "m2bench "+r.Mode+" "+r.Target, nil, []*Result{r}); err != nil {
			return err
		}
	}
	if c.json {
		return r.WriteJSON(stdout)
	}
	return r.WriteText(stdout)
}

func writeReportFile(path, title string, labels []string, rs []*Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("m2bench: report: %w", err)
	}
	if err := WriteReport(f, title, labels, rs); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("m2bench: report: %w", err)
	}
	return nil
}

func mainHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	var o HTTPOptions
	var c common
	hs := httpFlags(fs, &o, &c)
	pos, err := parse(fs, args, stderr, "URL", 1)
	if err != nil {
		return err
	}
	o.URL, o.Workload, o.Headers, o.Body = pos[0], c.w, *hs, c.payload()
	r, err := RunHTTP(ctx, o, progressTo(stderr))
	if err != nil {
		return err
	}
	return output(r, &c, stdout)
}

func mainHandler(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("handler", flag.ContinueOnError)
	var c common
	c.register(fs)
	var o HandlerOptions
	db := fs.String("db", "", "config `DB` to read the handler row from")
	id := fs.Int64("handler-id", 0, "id of the handler row (default: the only one)")
	fs.StringVar(&o.Handler.SendSpec, "send", "", "send_spec: where to bind the PUSH socket requests go out on")
	fs.StringVar(&o.Handler.RecvSpec, "recv", "", "recv_spec: where to bind the SUB socket replies come in on")
	fs.StringVar(&o.Handler.SendIdent, "ident", "m2bench", "send_ident: PUSH identity and request UUID")
	fs.StringVar(&o.Handler.RecvIdent, "recv-ident", "", "recv_ident: SUB subscription prefix")
	proto := fs.String("protocol", "json", "header encoding, json or tnetstring")
	fs.StringVar(&o.Path, "path", "/", "request path")
	fs.DurationVar(&o.Warmup, "warmup", 10*time.Second, "how long to wait for the handler's first answer")
	if _, err := parse(fs, args, stderr, "", 0); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *db != "" {
		h, err := LoadHandler(*db, *id)
		if err != nil {
			return err
		}
		// Flags given next to -db override the row.
		for name, p := range map[string]*string{"send": &h.SendSpec, "recv": &h.RecvSpec, "ident": &h.SendIdent, "recv-ident": &h.RecvIdent} {
			if set[name] {
				*p = fs.Lookup(name).Value.String()
			}
		}
		if set["protocol"] {
			h.Protocol = protocolOf(*proto)
		}
		o.Handler = h
	} else {
		if o.Handler.SendSpec == "" || o.Handler.RecvSpec == "" {
			fmt.Fprintln(stderr, "m2bench handler: give -db, or -send and -recv")
			return errUsage
		}
		o.Handler.Protocol = protocolOf(*proto)
	}
	if *proto != "json" && *proto != "tnetstring" {
		fmt.Fprintf(stderr, "m2bench handler: -protocol %q: want json or tnetstring\n", *proto)
		return errUsage
	}
	o.Workload, o.Body = c.w, c.payload()
	r, err := RunHandler(ctx, o, progressTo(stderr))
	if err != nil {
		return err
	}
	return output(r, &c, stdout)
}

func protocolOf(s string) m2.Protocol {
	if s == "tnetstring" {
		return m2.TNetstring
	}
	return m2.JSON
}

func mainCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	var o CompareOptions
	var c common
	hs := httpFlags(fs, &o.HTTPOptions, &c)
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds; each runs both targets")
	names := fs.String("names", "A,B", "the targets' names, comma-separated")
	fs.DurationVar(&o.Settle, "settle", 500*time.Millisecond, "pause before each run")
	pos, err := parse(fs, args, stderr, "URL_A URL_B", 2)
	if err != nil {
		return err
	}
	a, b, _ := strings.Cut(*names, ",")
	o.URLs, o.Names = [2]string{pos[0], pos[1]}, [2]string{a, b}
	o.Workload, o.Headers, o.Body = c.w, *hs, c.payload()
	log := stdout
	if c.json {
		log = stderr
	}
	cmp, err := Compare(ctx, o, log, progressTo(stderr))
	if err != nil {
		return err
	}
	if c.report != "" {
		title := fmt.Sprintf("m2bench compare %s: %s vs %s", cmp.Merged[0].Mode, cmp.Names[0], cmp.Names[1])
		if err := writeReportFile(c.report, title, cmp.Names[:], cmp.Merged[:]); err != nil {
			return err
		}
	}
	if c.json {
		return cmp.WriteJSON(stdout)
	}
	return cmp.WriteText(stdout)
}
