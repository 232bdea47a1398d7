package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// DefaultBins is the number of histogram bins over the unit score range
// [0, 1] when the caller passes bins <= 0.
const DefaultBins = 10

// maxBins bounds the bin count a caller may ask for.
const maxBins = 200

// Bins is a histogram's binning: bin i covers [Edge(i), Edge(i+1)), the last
// bin also includes its upper edge. Edges are k·Num/Den for integer k, so an
// edge such as 0.3 is the same float64 as the literal 0.3 and a score on an
// edge falls in the bin it starts.
type Bins struct {
	Num, Den int64 // bin width is Num/Den
	KLo      int64 // Edge(0) = KLo·Num/Den
	Counts   []int
	// Dropped counts the scores that are not plotted: NaN, ±Inf and
	// |s| > MaxAbsScore.
	Dropped int
	// N, Mean, Min and Max describe the binned (finite) scores.
	N              int
	Mean, Min, Max float64
}

// Edge returns the lower edge of bin i (Edge(len(Counts)) is the upper end).
func (b *Bins) Edge(i int) float64 {
	return float64((b.KLo+int64(i))*b.Num) / float64(b.Den)
}

// Binned computes the histogram of scores. The range always includes
// [0, 1] and widens to cover every finite score: the bin width starts at
// 1/bins and, when the widened range would need more than 3·bins bins,
// becomes the smallest of 1, 2, 5 × 10^e that covers it in at most bins
// bins (HealthBench per-example scores can be far below 0).
func Binned(scores []float64, bins int) *Bins {
	if bins <= 0 {
		bins = DefaultBins
	}
	if bins > maxBins {
		bins = maxBins
	}
	b := &Bins{Num: 1, Den: int64(bins)}
	lo, hi := 0.0, 1.0
	sum := 0.0
	for _, s := range scores {
		if !plottable(s) {
			b.Dropped++
			continue
		}
		if b.N == 0 || s < b.Min {
			b.Min = s
		}
		if b.N == 0 || s > b.Max {
			b.Max = s
		}
		b.N++
		sum += s
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	if b.N > 0 {
		b.Mean = sum / float64(b.N)
	}
	if (hi-lo)*float64(bins) > float64(3*bins) {
		b.Num, b.Den = niceStep((hi - lo) / float64(bins))
	}
	kLo, kHi := b.cover(lo, hi)
	b.KLo = kLo
	b.Counts = make([]int, kHi-kLo)
	for _, s := range scores {
		if !plottable(s) {
			continue
		}
		i := b.index(s) - kLo
		if i >= int64(len(b.Counts)) { // s is the upper edge: last bin is closed
			i = int64(len(b.Counts)) - 1
		}
		b.Counts[i]++
	}
	return b
}

// MaxAbsScore bounds the scores a histogram plots; larger magnitudes are
// counted in Bins.Dropped (no rubric score gets near it, and it keeps the
// integer edge arithmetic exact).
const MaxAbsScore = 1e6

func plottable(s float64) bool { return !math.IsNaN(s) && math.Abs(s) <= MaxAbsScore }

// index returns the k with k·Num/Den <= s < (k+1)·Num/Den.
func (b *Bins) index(s float64) int64 {
	k := int64(math.Floor(s * float64(b.Den) / float64(b.Num)))
	edge := func(k int64) float64 { return float64(k*b.Num) / float64(b.Den) }
	for edge(k) > s {
		k--
	}
	for edge(k+1) <= s {
		k++
	}
	return k
}

// cover returns the edge indices kLo <= kHi with Edge ranges covering
// [lo, hi] and at least one bin.
func (b *Bins) cover(lo, hi float64) (kLo, kHi int64) {
	kLo = b.index(lo)
	kHi = b.index(hi)
	if float64(kHi*b.Num)/float64(b.Den) < hi || kHi == kLo {
		kHi++
	}
	return kLo, kHi
}

// niceStep returns the smallest width Num/Den of the form {1,2,5}×10^e that
// is >= raw.
func niceStep(raw float64) (num, den int64) {
	e := int(math.Floor(math.Log10(raw)))
	for ; ; e++ {
		for _, m := range []int64{1, 2, 5} {
			num, den = m, 1
			for i := 0; i < e; i++ {
				num *= 10
			}
			for i := 0; i > e; i-- {
				den *= 10
			}
			if float64(num)/float64(den) >= raw {
				return num, den
			}
		}
	}
}

// Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"), safe
// for the common colour-vision deficiencies.
const (
	colBlue       = "#0072B2"
	colVermillion = "#D55E00"
	colBlack      = "#000000"
	colGrid       = "#d9d9d9"
)

// Histogram draws the score histogram as a self-contained inline SVG of
// the given size in CSS pixels: one bar per bin with its count on hover
// (an SVG <title>), x ticks at bin edges, y ticks at whole counts, axis
// titles and a dashed line at the mean. With no finite score it draws
// empty axes over [0, 1] and a note. Only numbers and fixed words are
// written, so the result is safe to insert unescaped.
func Histogram(scores []float64, bins int, width, height int) template.HTML {
	return histogramSVG(Binned(scores, bins), width, height)
}

func histogramSVG(b *Bins, width, height int) template.HTML {
	if width < 200 {
		width = 200
	}
	if height < 120 {
		height = 120
	}
	const left, right, top, bottom = 56.0, 20.0, 28.0, 52.0
	pw, ph := float64(width)-left-right, float64(height)-top-bottom
	nb := len(b.Counts)
	maxC := 0
	for _, c := range b.Counts {
		maxC = max(maxC, c)
	}
	yTop, yStep := countAxis(maxC)
	lo, hi := b.Edge(0), b.Edge(nb)
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*pw }
	y := func(c float64) float64 { return top + ph - c/float64(yTop)*ph }

	var w strings.Builder
	desc := "No defined scores."
	if b.N > 0 {
		desc = fmt.Sprintf("%d response scores from %s to %s in %d bins of width %s; mean %s.",
			b.N, fnum(b.Min), fnum(b.Max), nb, fnum(b.Edge(1)-b.Edge(0)), fnum(b.Mean))
	}
	if b.Dropped > 0 {
		desc += fmt.Sprintf(" %d non-finite or out-of-range scores not shown.", b.Dropped)
	}
	fmt.Fprintf(&w, `<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="hist-title hist-desc">`, width, height, width, height)
	fmt.Fprintf(&w, `<title id="hist-title">Histogram of response scores</title><desc id="hist-desc">%s</desc>`, desc)
	// Horizontal grid lines and y ticks.
	for c := 0; c <= yTop; c += yStep {
		yy := y(float64(c))
		fmt.Fprintf(&w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(left), f1(yy), f1(left+pw), f1(yy), colGrid)
		fmt.Fprintf(&w, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle" font-size="12">%d</text>`, f1(left-6), f1(yy), c)
	}
	// Bars.
	for i, c := range b.Counts {
		x0, x1 := x(b.Edge(i)), x(b.Edge(i+1))
		closer := ")"
		if i == nb-1 {
			closer = "]"
		}
		noun := "responses"
		if c == 1 {
			noun = "response"
		}
		fmt.Fprintf(&w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#ffffff" stroke-width="1"><title>[%s, %s%s: %d %s</title></rect>`,
			f1(x0), f1(y(float64(c))), f1(x1-x0), f1(y(0)-y(float64(c))), colBlue, fnum(b.Edge(i)), fnum(b.Edge(i+1)), closer, c, noun)
	}
	// Axes.
	fmt.Fprintf(&w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(left), f1(top+ph), f1(left+pw), f1(top+ph), colBlack)
	fmt.Fprintf(&w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(left), f1(top), f1(left), f1(top+ph), colBlack)
	// X ticks at bin edges, labelled at most about 11 times.
	every := (nb + 9) / 10
	for i := 0; i <= nb; i++ {
		xx := x(b.Edge(i))
		fmt.Fprintf(&w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(xx), f1(top+ph), f1(xx), f1(top+ph+5), colBlack)
		if i%every == 0 || i == nb {
			fmt.Fprintf(&w, `<text x="%s" y="%s" text-anchor="middle" font-size="12">%s</text>`, f1(xx), f1(top+ph+18), fnum(b.Edge(i)))
		}
	}
	fmt.Fprintf(&w, `<text x="%s" y="%s" text-anchor="middle" font-size="13">Score</text>`, f1(left+pw/2), f1(float64(height)-8))
	fmt.Fprintf(&w, `<text x="14" y="%s" text-anchor="middle" font-size="13" transform="rotate(-90 14 %s)">Responses</text>`, f1(top+ph/2), f1(top+ph/2))
	if b.N == 0 {
		fmt.Fprintf(&w, `<text x="%s" y="%s" text-anchor="middle" font-size="14">No defined scores to plot</text>`, f1(left+pw/2), f1(top+ph/2))
	} else {
		xm := x(b.Mean)
		fmt.Fprintf(&w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"><title>mean %s</title></line>`, f1(xm), f1(top-4), f1(xm), f1(top+ph), colVermillion, fnum(b.Mean))
		anchor := "middle"
		if xm < left+40 {
			anchor = "start"
		} else if xm > left+pw-40 {
			anchor = "end"
		}
		fmt.Fprintf(&w, `<text x="%s" y="%s" text-anchor="%s" font-size="12" fill="#000000">mean %s</text>`, f1(xm), f1(top-8), anchor, fnum(b.Mean))
	}
	w.WriteString(`</svg>`)
	return template.HTML(w.String())
}

// countAxis picks the top of the count axis and a whole tick step giving
// at most about 6 ticks.
func countAxis(maxC int) (top, step int) {
	if maxC <= 0 {
		return 1, 1
	}
	for mag := 1; ; mag *= 10 {
		found := false
		for _, m := range []int{1, 2, 5} {
			if s := m * mag; (maxC+s-1)/s <= 6 {
				step, found = s, true
				break
			}
		}
		if found {
			break
		}
	}
	top = (maxC + step - 1) / step * step
	return top, step
}

// f1 formats an SVG coordinate with one decimal.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// fnum formats a score for labels: shortest form, at most 3 decimals.
func fnum(v float64) string {
	r := math.Round(v*1000) / 1000
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
