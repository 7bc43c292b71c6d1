package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Better says which direction of a figure is good.
const (
	HigherIsBetter = "higher"
	LowerIsBetter  = "lower"
)

// Figure is one measured number beside its peer from the same run.
type Figure struct {
	// Name says what was measured, e.g. "crawl+extract+publish".
	Name string `json:"name"`
	// Unit of Value and PeerValue, e.g. "pages/s", "ms", "F1".
	Unit string `json:"unit"`
	// Value is newswatch's figure; NaN-free (see Missing).
	Value float64 `json:"value"`
	// Better is HigherIsBetter or LowerIsBetter.
	Better string `json:"better"`
	// Peer names what Value is compared with; empty when there is no peer.
	Peer string `json:"peer,omitempty"`
	// PeerValue is the peer's figure in the same unit.
	PeerValue float64 `json:"peer_value,omitempty"`
	// Ratio is Value / PeerValue (0 when there is no peer).
	Ratio float64 `json:"ratio,omitempty"`
	// Note explains the figure or why there is no peer.
	Note string `json:"note,omitempty"`
	// Missing, when set, says why the figure could not be measured; Value
	// is then meaningless.
	Missing string `json:"missing,omitempty"`
}

// Compare returns a Figure with its peer and the ratio computed here.
func Compare(name, unit, better string, value float64, peer string, peerValue float64) Figure {
	f := Figure{Name: name, Unit: unit, Better: better, Value: value, Peer: peer, PeerValue: peerValue}
	if peerValue != 0 && !math.IsNaN(peerValue) && !math.IsInf(peerValue, 0) {
		f.Ratio = value / peerValue
	}
	return f
}

// Single returns a Figure without a peer; note says why there is none.
func Single(name, unit, better string, value float64, note string) Figure {
	return Figure{Name: name, Unit: unit, Better: better, Value: value, Note: note}
}

// MissingFigure is a figure that could not be measured, with the reason.
func MissingFigure(name, unit, reason string) Figure {
	return Figure{Name: name, Unit: unit, Missing: reason}
}

// Section is the outcome of one benchmark.
type Section struct {
	Name    string   `json:"name"`
	Seconds float64  `json:"seconds"`
	Figures []Figure `json:"figures"`
	// CPUSeconds is the user+system CPU time of the section's process and
	// its children: unlike Seconds, it hardly depends on other load.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// MaxRSSKB is the peak resident set size of the section's process or
	// the largest of its children (getrusage ru_maxrss of the waited-for
	// child), in KiB.
	MaxRSSKB int64 `json:"max_rss_kb,omitempty"`
	// Details holds the raw measurements behind the figures.
	Details map[string]any `json:"details,omitempty"`
	// Error is set when the section failed; Figures may then be partial.
	Error string `json:"error,omitempty"`
}

// Report is a whole run: the machine, the mode and every section.
type Report struct {
	Schema   string    `json:"schema"`
	Mode     string    `json:"mode"`
	Commit   string    `json:"commit"`
	Dirty    bool      `json:"dirty"`
	Started  string    `json:"started"`
	Seconds  float64   `json:"seconds"`
	Machine  Machine   `json:"machine"`
	Sections []Section `json:"sections"`
}

// ReportSchema names the JSON layout of Report.
const ReportSchema = "newswatch.bench.v1"

// NewReport starts the report of a run begun at begin in the module at
// root: the commit it measures and the machine.
func NewReport(root, mode string, begin time.Time) *Report {
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		b, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	rep := &Report{
		Schema:  ReportSchema,
		Mode:    mode,
		Commit:  git("rev-parse", "--short=12", "HEAD"),
		Dirty:   git("status", "--porcelain", "--untracked-files=no") != "",
		Started: begin.UTC().Format(time.RFC3339),
		Machine: DescribeMachine(),
	}
	if rep.Commit == "" {
		rep.Commit = "unknown"
	}
	return rep
}

// SaveReport writes rep as JSON to outDir (relative to root unless
// absolute) as <date>-<commit><suffix>.json and returns the path.
func SaveReport(rep *Report, root, outDir, suffix string) (string, error) {
	dir := outDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	day := time.Now().UTC()
	if t, err := time.Parse(time.RFC3339, rep.Started); err == nil {
		day = t.UTC()
	}
	path := filepath.Join(dir, day.Format("2006-01-02")+"-"+rep.Commit+suffix+".json")
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// FormatValue prints a number with a precision that suits its size.
func FormatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// WriteTable prints the report as an aligned text table.
func WriteTable(w io.Writer, r *Report) error {
	m := r.Machine
	dirty := ""
	if r.Dirty {
		dirty = " (uncommitted changes)"
	}
	fmt.Fprintf(w, "newswatch benchmarks, mode %s, commit %s%s, %s, %.0f s\n", r.Mode, r.Commit, dirty, r.Started, r.Seconds)
	fmt.Fprintf(w, "machine: %d cores (%s), %.1f GiB RAM, %s, %s/%s, load average at start %s\n\n",
		m.Cores, m.CPUModel, float64(m.MemoryBytes)/(1<<30), m.GoVersion, m.OS, m.Arch, m.LoadAvg)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "section\tfigure\tnewswatch\tpeer\tpeer value\tratio\tbetter\t")
	var notes []string
	for _, s := range r.Sections {
		name := s.Name
		for _, f := range s.Figures {
			val, peer, peerVal, ratio := FormatValue(f.Value)+" "+f.Unit, f.Peer, "", ""
			switch {
			case f.Missing != "":
				val, peer = "missing", oneLine(f.Missing, 90)
			case f.Peer == "":
				peer = "(no peer)"
			default:
				peerVal = FormatValue(f.PeerValue) + " " + f.Unit
				if f.Ratio != 0 {
					ratio = fmt.Sprintf("%.2fx", f.Ratio)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, f.Name, val, peer, peerVal, ratio, f.Better)
			if f.Note != "" {
				notes = append(notes, fmt.Sprintf("%s / %s: %s", s.Name, f.Name, f.Note))
			}
			name = ""
		}
		if s.Error != "" {
			fmt.Fprintf(tw, "%s\terror\t%s\t\t\t\t\t\n", name, oneLine(s.Error, 100))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ratio = newswatch / peer, both measured in this run; \"better\" says which direction is good.")
	for _, n := range notes {
		fmt.Fprintln(w, "  "+n)
	}
	fmt.Fprintln(w, "time per section (wall, CPU of the section's processes, peak RSS of the largest of them):")
	for _, s := range r.Sections {
		fmt.Fprintf(w, "  %-8s %6.1f s wall, %6.1f s CPU", s.Name, s.Seconds, s.CPUSeconds)
		if s.MaxRSSKB > 0 {
			fmt.Fprintf(w, ", peak RSS %.0f MiB", float64(s.MaxRSSKB)/1024)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
