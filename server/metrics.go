package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus series, served on /metrics at the address of
// the Bareku setting metrics.address. Series used per request are resolved
// once per route or handler when a runtime is built, so counting costs an
// atomic add, not a label lookup.
type metrics struct {
	reg *prometheus.Registry
	srv *http.Server
	ln  net.Listener

	requests    *prometheus.CounterVec   // host, route, target
	replies     *prometheus.CounterVec   // handler
	latency     *prometheus.HistogramVec // handler: request pushed → first reply
	inFlight    *prometheus.GaugeVec     // handler
	connections *prometheus.GaugeVec     // kind
	bytesIn     prometheus.Counter
	bytesOut    prometheus.Counter
	disconnects prometheus.Counter
	reloads     *prometheus.CounterVec // result
	canned      *prometheus.CounterVec // code
}

// handlerMetrics are one handler's resolved series.
type handlerMetrics struct {
	replies  prometheus.Counter
	latency  prometheus.Observer
	inFlight prometheus.Gauge
}

func newMetrics(addr string) (*metrics, error) {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bareku_requests_total",
		Help: "Requests routed, by host, route and target type."}, []string{"host", "route", "target"})
	m.replies = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bareku_handler_replies_total",
		Help: "Handler replies delivered to client connections, by handler send_spec."}, []string{"handler"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bareku_handler_latency_seconds",
		Help:    "Time from pushing a request to a handler to its first reply for that connection.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18)}, []string{"handler"})
	m.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bareku_handler_in_flight",
		Help: "Connections waiting for a handler's first reply to their last request."}, []string{"handler"})
	m.connections = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bareku_connections",
		Help: "Open client connections by kind (http, socket, websocket, new)."}, []string{"kind"})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{Name: "bareku_received_bytes_total", Help: "Bytes read from clients."})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{Name: "bareku_sent_bytes_total", Help: "Bytes written to clients."})
	m.disconnects = prometheus.NewCounter(prometheus.CounterOpts{Name: "bareku_disconnects_total",
		Help: "Disconnect events sent to handlers."})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bareku_reloads_total",
		Help: "Config reloads by result (ok, rejected)."}, []string{"result"})
	m.canned = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bareku_canned_responses_total",
		Help: "Canned error responses by status code."}, []string{"code"})
	for _, c := range []prometheus.Collector{m.requests, m.replies, m.latency, m.inFlight, m.connections,
		m.bytesIn, m.bytesOut, m.disconnects, m.reloads, m.canned} {
		f(c)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: metrics.address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	m.ln = ln
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener was closed by close()
		}
	}()
	return m, nil
}

// Addr is where /metrics is served.
func (m *metrics) Addr() string { return m.ln.Addr().String() }

func (m *metrics) close() { m.srv.Close() }

func (m *metrics) forHandler(spec string) *handlerMetrics {
	return &handlerMetrics{
		replies:  m.replies.WithLabelValues(spec),
		latency:  m.latency.WithLabelValues(spec),
		inFlight: m.inFlight.WithLabelValues(spec),
	}
}

// kindName labels connKind values.
func kindName(k connKind) string {
	switch k {
	case connHTTP:
		return "http"
	case connMsg:
		return "socket"
	case connWebSocket:
		return "websocket"
	}
	return "new"
}
