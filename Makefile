# newswatch developer targets. Run from the repository root.
#
#   make build          the newswatch binary (./newswatch)
#   make test           go vet ./... && go test ./...
#   make bench          quick system benchmarks (< 5 min on 2 cores), table + bench/results/<date>-<commit>.json
#   make bench-full     the same with larger data (1M-article search index; takes much longer)
#   make bench-store    the search store on a realistic 100k-article corpus (and simsite's dense one), beside bare Bleve
#   make bench-store-1m the same at 1M realistic articles (about an hour on 2 shared cores)
#   make bench-export   exports of 1M articles through the API (NDJSON, CSV, Parquet) beside the raw store scan;
#                       the index is built once (niced, an hour or more on 2 shared cores) and reused
#   make bench-extract  extraction (extraction-bench, traf-eval) and date benchmarks alone, full output
#   make bench-freshness  simulated outlets publish at random times for 5 min: p50/p95 of searchable - published
#   make fuzz           every Fuzz target for FUZZTIME each
#   make demo           newswatch demo on simulated outlets (http://$(LISTEN))
#   make es-up          start the test search engine (OpenSearch 2.19.6 from Maven Central jars) on $(ES_PORT)
#   make es-down        stop it
#   make test-elastic   es-up, then store/elastic's tests (conformance suite included) against it
#   make bench-elastic  es-up, then store/elastic's benchmarks (bulk vs bare BulkIndexer, search vs Bleve, 60 s engine outage)

GO            ?= go
FUZZTIME      ?= 10s
BENCH_FLAGS   ?=
EXTRACT_DEV   ?= ../shared/extraction-bench/dev
DATE_DEV      ?= ../shared/date-bench/dev
TRAF_DEV      ?= ../shared/traf-eval/dev
DEMO_ARTICLES ?= 1000
LISTEN        ?= 127.0.0.1:8080
DATA          ?= ./data
ES_PORT       ?= 19200
ENGINE        := NEWSWATCH_ENGINE_PORT=$(ES_PORT) deploy/testengine/engine.sh
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: bench-store bench-store-1m bench-export bench-watch
.PHONY: all build test bench bench-full bench-extract bench-abuse bench-freshness fuzz demo es-up es-down test-elastic bench-elastic

all: build test

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o newswatch ./cmd/newswatch

test:
	$(GO) vet ./... && $(GO) test ./...

bench:
	$(GO) run ./bench/nwbench -mode quick -extract-dev $(EXTRACT_DEV) -traf-dev $(TRAF_DEV) -date-dev $(DATE_DEV) $(BENCH_FLAGS)

bench-full:
	$(GO) run ./bench/nwbench -mode full -extract-dev $(EXTRACT_DEV) -traf-dev $(TRAF_DEV) -date-dev $(DATE_DEV) $(BENCH_FLAGS)

ABUSE_FLAGS   ?=

bench-abuse:
	$(GO) run ./bench/abusebench $(ABUSE_FLAGS)

bench-store:
	$(GO) run ./bench/storebench -articles 100000 -dense 30000 $(BENCH_FLAGS)

EXPORT_FLAGS  ?=

bench-export:
	$(GO) run ./bench/exportbench $(EXPORT_FLAGS)

bench-store-1m:
	$(GO) run ./bench/storebench -articles 1000000 -dense 50000 -index-sample 30000 $(BENCH_FLAGS)

WATCH_FLAGS   ?=

bench-watch:
	$(GO) run ./bench/watchbench $(WATCH_FLAGS)

FRESH_FLAGS   ?=

bench-freshness:
	$(GO) run ./bench/freshbench $(FRESH_FLAGS)

bench-extract:
	$(GO) run ./bench/extractbench -dev $(EXTRACT_DEV)
	$(GO) run ./bench/trafevalbench -dev $(TRAF_DEV)
	$(GO) run ./bench/datebench -dev $(DATE_DEV)

# Every native fuzz target in the module (found by grep, so new ones join
# automatically), one `go test -fuzz` run of FUZZTIME each.
fuzz:
	@set -e; \
	for file in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		dir=$$(dirname $$file); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "== $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

demo: build
	./newswatch demo --articles $(DEMO_ARTICLES) --listen $(LISTEN) --data $(DATA)

es-up:
	$(ENGINE) start && $(ENGINE) wait

es-down:
	$(ENGINE) stop

test-elastic: es-up
	NEWSWATCH_ES_URL=http://127.0.0.1:$(ES_PORT) $(GO) test -count=1 ./store/elastic/...

bench-elastic: es-up
	$(GO) run ./bench/esbench -es http://127.0.0.1:$(ES_PORT) \
		-stop '$(ENGINE) stop' -start '$(ENGINE) start --keep && $(ENGINE) wait' $(BENCH_FLAGS)
