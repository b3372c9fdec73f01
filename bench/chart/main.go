// Command chart draws the results of bench/compare.sh's pair streams:
// throughput and one-way latency against message size, for nngperf (libnng),
// mangos, rawperf (SP framing over a bare net.Conn, one write per frame and
// batched) and spperf over tcp and ipc, and for spperf beside its bare-channel
// baseline (spperf chan_thr/chan_lat, tool "chan") over inproc: one panel per
// transport the results hold.
//
//	go run . -in ../out/results.csv -out ../out
//
// writes throughput.png, latency.png (the tcp and ipc runs pinned to one CPU,
// with inproc's) and, when the results hold unpinned tcp or ipc latency runs
// (column pinned 0), latency-unpinned.png (those, with inproc's). Results
// without a pinned column are drawn as pinned, as compare.sh made them then.
// Each point is the median of the rounds; the bars span the lowest to the
// highest round. Both axes are logarithmic. Rows of a tool or transport it
// does not know are left out.
//
// It is a module of its own so that the plotting library's dependencies stay out
// of sp's go.mod.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// key names one cell of the results: a test, a transport, a tool, a size,
// and whether the run was pinned (1), not (0), or not said (-1).
type key struct {
	kind, transport, tool string
	size                  int
	pinned                int
}

// style is how a tool is drawn.
type style struct {
	name   string
	label  string
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}

var tools = []style{
	{"nng", "nngperf (libnng)", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, nil, draw.CircleGlyph{}},
	{"mangos", "mangos v3", color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, []vg.Length{vg.Points(3), vg.Points(3)}, draw.PyramidGlyph{}},
	{"raw", "rawperf (bare conn)", color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, []vg.Length{vg.Points(4), vg.Points(2)}, draw.SquareGlyph{}},
	{"raw-batched", "rawperf, batched", color.RGBA{A: 0xff}, []vg.Length{vg.Points(1), vg.Points(2)}, draw.TriangleGlyph{}},
	{"chan", "Go channel (no library)", color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2)}, draw.BoxGlyph{}},
	{"sp", "spperf (sp)", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, nil, draw.CrossGlyph{}},
}

// transports are the panels, in this order, of those the results hold.
var transports = []string{"tcp", "ipc", "inproc"}

func main() {
	in := flag.String("in", "bench/out/results.csv", "CSV written by bench/compare.sh")
	out := flag.String("out", "bench/out", "directory for throughput.png and latency.png")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	data, rounds, err := read(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	sub := fmt.Sprintf("median of %d rounds; bars: lowest to highest round", rounds)
	if err := figure(subset(data, func(k key) bool { return k.kind == "thr" }), "thr",
		"Throughput ("+sub+")", "throughput [MB/s]", filepath.Join(out, "throughput.png")); err != nil {
		return err
	}
	// inproc runs are one process, never pinned: they go in both figures.
	pinned := subset(data, func(k key) bool {
		return k.kind == "lat" && (k.pinned != 0 || k.transport == "inproc")
	})
	unpinned := subset(data, func(k key) bool {
		return k.kind == "lat" && (k.pinned == 0 || k.transport == "inproc")
	})
	if streams(unpinned) {
		if err := figure(unpinned, "lat", "One-way latency, unpinned ("+sub+")", "latency [µs]",
			filepath.Join(out, "latency-unpinned.png")); err != nil {
			return err
		}
	}
	if streams(pinned) || !streams(unpinned) {
		title := "One-way latency (" + sub + ")"
		if streams(pinned) && streams(unpinned) {
			title = "One-way latency, tcp and ipc pinned to one CPU (" + sub + ")"
		}
		return figure(pinned, "lat", title, "latency [µs]", filepath.Join(out, "latency.png"))
	}
	return nil
}

// subset returns the cells of data that keep says to keep, with pinned set to
// 0 so that figure finds them.
func subset(data map[key][]float64, keep func(key) bool) map[key][]float64 {
	s := map[key][]float64{}
	for k, v := range data {
		if keep(k) {
			k.pinned = 0
			s[k] = append(s[k], v...)
		}
	}
	return s
}

// streams reports whether data has a tcp or ipc cell.
func streams(data map[key][]float64) bool {
	for k := range data {
		if k.transport != "inproc" {
			return true
		}
	}
	return false
}

// read returns every value of each cell: MB/s (10^6 bytes/s) for throughput,
// microseconds for latency; and the number of rounds.
func read(r io.Reader) (map[key][]float64, int, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, 0, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range []string{"round", "kind", "transport", "size", "tool", "mbits_per_s", "latency_us"} {
		if _, ok := col[h]; !ok {
			return nil, 0, fmt.Errorf("no column %q", h)
		}
	}
	data := map[key][]float64{}
	rounds := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		size, err := strconv.Atoi(rec[col["size"]])
		if err != nil {
			return nil, 0, fmt.Errorf("bad size %q", rec[col["size"]])
		}
		if n, err := strconv.Atoi(rec[col["round"]]); err == nil && n > rounds {
			rounds = n
		}
		k := key{rec[col["kind"]], rec[col["transport"]], rec[col["tool"]], size, -1}
		if c, ok := col["pinned"]; ok {
			if k.pinned, err = strconv.Atoi(rec[c]); err != nil {
				return nil, 0, fmt.Errorf("bad pinned %q", rec[c])
			}
		}
		var v float64
		switch k.kind {
		case "thr":
			v, err = strconv.ParseFloat(rec[col["mbits_per_s"]], 64)
			v /= 8
		case "lat":
			v, err = strconv.ParseFloat(rec[col["latency_us"]], 64)
		default:
			continue
		}
		if err != nil || v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			continue // a failed run, or one that cannot sit on a log axis
		}
		data[k] = append(data[k], v)
	}
	if len(data) == 0 {
		return nil, 0, errors.New("no results")
	}
	return data, rounds, nil
}

// series is one tool's line: medians with their spread.
type series struct {
	plotter.XYs
	plotter.YErrors
}

func median(v []float64) (med, lo, hi float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func figure(data map[key][]float64, kind, title, ylabel, path string) error {
	var plots []*plot.Plot
	legend := plot.NewLegend()
	legend.Top = true
	legend.Left = true
	ymin, ymax := math.Inf(1), math.Inf(-1)
	var sizes []int
	present := map[string]bool{} // transports with a result of this kind
	for k := range data {
		if k.kind == kind && slices.Contains(transports, k.transport) {
			present[k.transport] = true
			if !slices.Contains(sizes, k.size) {
				sizes = append(sizes, k.size)
			}
		}
	}
	if len(sizes) == 0 {
		return fmt.Errorf("no %s results", kind)
	}
	slices.Sort(sizes)
	inLegend := map[string]bool{}
	for _, tr := range transports {
		if !present[tr] {
			continue
		}
		p := plot.New()
		p.Title.Text = tr
		p.X.Label.Text = "message size"
		p.Y.Label.Text = ylabel
		p.X.Scale = plot.LogScale{}
		p.Y.Scale = plot.LogScale{}
		p.X.Tick.Marker = sizeTicks(sizes)
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Min = float64(sizes[0]) / 2
		p.X.Max = float64(sizes[len(sizes)-1]) * 2
		p.Add(plotter.NewGrid())
		for i, t := range tools {
			// Each tool a little to the side, so that overlapping bars stay apart.
			nudge := math.Pow(1.07, float64(i)-float64(len(tools)-1)/2)
			var s series
			for _, size := range sizes {
				v := data[key{kind, tr, t.name, size, 0}]
				if len(v) == 0 {
					continue
				}
				med, lo, hi := median(v)
				s.XYs = append(s.XYs, plotter.XY{X: float64(size) * nudge, Y: med})
				s.YErrors = append(s.YErrors, struct{ Low, High float64 }{med - lo, hi - med})
				ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
			}
			if len(s.XYs) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(s.XYs)
			if err != nil {
				return err
			}
			line.Color = t.color
			line.Width = vg.Points(1.5)
			line.Dashes = t.dashes
			points.Color = t.color
			points.Shape = t.glyph
			points.Radius = vg.Points(3.5)
			bars, err := plotter.NewYErrorBars(s)
			if err != nil {
				return err
			}
			bars.Color = t.color
			bars.Width = vg.Points(1)
			p.Add(line, points, bars)
			if !inLegend[t.name] {
				inLegend[t.name] = true
				legend.Add(t.label, line, points)
			}
		}
		plots = append(plots, p)
	}
	// One y range for both panels, with a margin; 1-2-5 ticks unless it spans
	// so many decades that powers of ten say enough.
	for _, p := range plots {
		p.Y.Min, p.Y.Max = ymin/1.5, ymax*1.5
		if p.Y.Max/p.Y.Min < 1e3 {
			p.Y.Tick.Marker = decadeTicks{}
		}
	}
	return save(plots, legend, title, path)
}

// sizeTicks labels the measured sizes only.
func sizeTicks(sizes []int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for _, s := range sizes {
		t = append(t, plot.Tick{Value: float64(s), Label: human(s)})
	}
	return t
}

func human(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// decadeTicks labels 1, 2 and 5 of each decade: for ranges too narrow for
// plot.LogTicks to say much.
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= min && v <= max {
				t = append(t, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return t
}

func save(plots []*plot.Plot, legend plot.Legend, title, path string) error {
	// 5 inches a panel and 2 for the legend: 12 wide for tcp and ipc.
	w, h := 2*vg.Inch+vg.Length(len(plots))*5*vg.Inch, 5*vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	// A title across the top, the panels below it.
	titleH := vg.Points(24)
	dc.FillText(draw.TextStyle{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 14),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
	}, vg.Point{X: w / 2, Y: h - titleH/2}, title)
	dc.Max.Y -= titleH
	// The legend in a column of its own on the right, clear of the data.
	legendW := 2 * vg.Inch
	lc := dc
	lc.Min.X = dc.Max.X - legendW
	lc.Max.Y -= vg.Points(24)
	legend.Draw(lc)
	dc.Max.X -= legendW
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(12), PadY: vg.Points(6),
		PadTop: vg.Points(2), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
