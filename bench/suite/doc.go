// Package suite holds newswatch's system benchmarks: each measures one part
// of the data flow (crawl, extraction, publish, index, search, the demo)
// next to a peer measured on the same machine in the same run, so that the
// ratio between them means something even on a shared, noisy machine.
//
// Every benchmark is a plain function returning a Section of Figures; the
// command bench/nwbench runs them (`make bench`, `make bench-full`), prints
// the table and writes bench/results/<date>-<commit>.json. The same
// functions back the Go Benchmark* functions of this package, so
// `go test -bench . ./bench/suite` output can be compared with benchstat.
// Tests of this package are quick; nothing heavy runs without -bench.
package suite
