# Bareku: a drop-in replacement for Mongrel2 1.12.
#   make demo    build, load examples/demo.conf, run the server and demo handlers
#   make test    install test prerequisites and run the whole suite
GO       ?= go
BIN      := bin
CMDS     := mongrel2 m2sh
DEMO_DIR := demo/run
PKGS     := ./...

.PHONY: all build deps test-deps test test-short vet fmt-check fuzz bench bench-compare test-long demo clean

all: build

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

build: deps
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/mongrel2 ./cmd/m2sh ./cmd/m2bench ./cmd/diprocd ./handlers/examples/hello ./handlers/examples/chat

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: deps
	$(GO) vet $(PKGS)

# The whole suite: unit tests, fuzz seeds, and integration tests that run
# Debian's mongrel2 beside ours.
test: test-deps fmt-check vet
	$(GO) test -count=1 -p 1 -timeout 14m $(PKGS)

# The 20-second load runs: reload and binary upgrade under load.
test-long: test-deps
	BAREKU_INTEGRATION_LONG=1 $(GO) test -count=1 -v -run 'UnderLoad' ./integration/
	DIPROCD_ZERO_DOWNTIME=strict $(GO) test -count=1 -v -run 'TestZeroDowntime|TestReactionTime' ./bareku/diprocd/

test-short: deps
	$(GO) test -short -count=1 $(PKGS)

# Each fuzz target for FUZZTIME (default 30s); not part of make test.
FUZZTIME ?= 30s
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Micro-benchmarks of the hot path, with allocations.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./protocol/... ./config/... ./server/...

# Bareku against Debian's mongrel2 under m2bench compare (about 4 minutes):
# keep-alive c=50 and c=256, one connection per request, c=1 latency.
bench-compare: test-deps
	benchmarks/compare.sh 3 10

demo: build
	@scripts/demo.sh

clean:
	rm -rf $(BIN) $(DEMO_DIR)
