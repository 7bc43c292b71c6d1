# newswatch developer targets. Run from the repository root.
#
#   make build          the newswatch binary (./newswatch)
#   make test           go vet ./... && go test ./...
#   make bench          quick system benchmarks (< 5 min on 2 cores), table + bench/results/<date>-<commit>.json
#   make bench-full     the same with larger data (1M-article search index; takes much longer)
#   make bench-extract  extraction and date benchmarks alone, full output
#   make fuzz           every Fuzz target for FUZZTIME each
#   make demo           newswatch demo on simulated outlets (http://$(LISTEN))

GO            ?= go
FUZZTIME      ?= 10s
BENCH_FLAGS   ?=
EXTRACT_DEV   ?= ../shared/extraction-bench/dev
DATE_DEV      ?= ../shared/date-bench/dev
DEMO_ARTICLES ?= 1000
LISTEN        ?= 127.0.0.1:8080
DATA          ?= ./data

.PHONY: all build test bench bench-full bench-extract fuzz demo

all: build test

build:
	$(GO) build -o newswatch ./cmd/newswatch

test:
	$(GO) vet ./... && $(GO) test ./...

bench:
	$(GO) run ./bench/nwbench -mode quick -extract-dev $(EXTRACT_DEV) -date-dev $(DATE_DEV) $(BENCH_FLAGS)

bench-full:
	$(GO) run ./bench/nwbench -mode full -extract-dev $(EXTRACT_DEV) -date-dev $(DATE_DEV) $(BENCH_FLAGS)

bench-extract:
	$(GO) run ./bench/extractbench -dev $(EXTRACT_DEV)
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
