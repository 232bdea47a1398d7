package report

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBinned(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		bins      int
		wantEdges []float64 // first and last edge
		counts    []int
		dropped   int
	}{
		{
			name:      "unit range, 1.0 lands in the last bin",
			scores:    []float64{0, 0.1, 0.3, 0.95, 1.0},
			bins:      10,
			wantEdges: []float64{0, 1},
			counts:    []int{1, 1, 0, 1, 0, 0, 0, 0, 0, 2},
		},
		{
			// 0.1+0.2 = 0.30000000000000004 >= 0.3; 0.1*7 = 0.7000000000000001.
			name:      "scores on edges fall in the bin they start",
			scores:    []float64{0.3, 0.1 + 0.2, 0.7, 0.1 * 7, 0.6, 0.2},
			bins:      10,
			wantEdges: []float64{0, 1},
			counts:    []int{0, 0, 1, 2, 0, 0, 1, 2, 0, 0},
		},
		{
			name:      "just below an edge",
			scores:    []float64{math.Nextafter(0.5, 0), 0.5},
			bins:      4,
			wantEdges: []float64{0, 1},
			counts:    []int{0, 1, 1, 0}, // [0.25,0.5) and [0.5,0.75)
		},
		{
			name:      "negative scores extend the range by whole bins",
			scores:    []float64{-0.25, 0.5},
			bins:      10,
			wantEdges: []float64{-0.3, 1},
			counts:    []int{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0},
		},
		{
			name:      "far negative scores switch to a nice width",
			scores:    []float64{-7, -0.5, 0, 1},
			bins:      10,
			wantEdges: []float64{-7, 1},
			counts:    []int{1, 0, 0, 0, 0, 0, 1, 2},
		},
		{
			name:      "above 1 extends the range, the maximum closes the last bin",
			scores:    []float64{1.5, 1.2},
			bins:      10,
			wantEdges: []float64{0, 1.5},
			counts:    []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
		},
		{
			name:      "non-finite and huge scores are dropped",
			scores:    []float64{math.NaN(), math.Inf(1), math.Inf(-1), 2e6, 0.55},
			bins:      2,
			wantEdges: []float64{0, 1},
			counts:    []int{0, 1},
			dropped:   4,
		},
		{
			name:      "empty",
			bins:      0,
			wantEdges: []float64{0, 1},
			counts:    make([]int, DefaultBins),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Binned(tt.scores, tt.bins)
			edges := []float64{b.Edge(0), b.Edge(len(b.Counts))}
			if diff := cmp.Diff(tt.wantEdges, edges); diff != "" {
				t.Errorf("range (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.counts, b.Counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if b.Dropped != tt.dropped {
				t.Errorf("dropped = %d, want %d", b.Dropped, tt.dropped)
			}
		})
	}
}

func TestBinnedEveryEdge(t *testing.T) {
	// Every k/bins for k < bins must land in bin k, whatever the rounding of
	// k/bins, for all bin counts a caller might choose.
	for bins := 1; bins <= 50; bins++ {
		scores := make([]float64, bins+1)
		for k := 0; k <= bins; k++ {
			scores[k] = float64(k) / float64(bins)
		}
		b := Binned(scores, bins)
		want := make([]int, bins)
		for k := range want {
			want[k] = 1
		}
		want[bins-1] = 2 // 1.0 joins the last bin
		if !cmp.Equal(want, b.Counts) {
			t.Fatalf("bins=%d: counts %v, want %v", bins, b.Counts, want)
		}
	}
}

func TestBinnedStats(t *testing.T) {
	b := Binned([]float64{-0.5, 0.25, 1, math.NaN()}, 10)
	if b.N != 3 || b.Min != -0.5 || b.Max != 1 || b.Mean != 0.25 {
		t.Errorf("N, Min, Max, Mean = %d, %v, %v, %v; want 3, -0.5, 1, 0.25", b.N, b.Min, b.Max, b.Mean)
	}
}

// wellFormed fails the test unless svg is well-formed XML.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestHistogramSVG(t *testing.T) {
	svg := string(Histogram([]float64{0, 0.1, 0.3, 0.95, 1.0}, 10, 720, 320))
	wellFormed(t, svg)
	for _, want := range []string{
		`<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="720" height="320"`,
		`<title>[0, 0.1): 1 response</title>`,
		`<title>[0.2, 0.3): 0 responses</title>`,
		`<title>[0.9, 1]: 2 responses</title>`,
		`<title>mean 0.47</title>`,
		`>mean 0.47</text>`,
		`>Score</text>`,
		`>Responses</text>`,
		`<desc id="hist-desc">5 response scores from 0 to 1 in 10 bins of width 0.1; mean 0.47.</desc>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<rect"); n != 10 {
		t.Errorf("%d bars, want 10", n)
	}
	if strings.Contains(svg, "No defined scores") {
		t.Error("non-empty plot has the empty note")
	}
}

func TestHistogramEmpty(t *testing.T) {
	svg := string(Histogram(nil, 10, 720, 320))
	wellFormed(t, svg)
	for _, want := range []string{"No defined scores to plot", `<desc id="hist-desc">No defined scores.</desc>`, ">Score</text>", ">0</text>", ">1</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("empty SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "mean") {
		t.Error("empty plot draws a mean")
	}
}

func TestHistogramNegative(t *testing.T) {
	svg := string(Histogram([]float64{-0.25, 0.5, math.NaN()}, 10, 720, 320))
	wellFormed(t, svg)
	for _, want := range []string{`>-0.3</text>`, `<title>[-0.3, -0.2): 1 response</title>`, "1 non-finite or out-of-range scores not shown."} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestCountAxis(t *testing.T) {
	// Hand-derived: the smallest step in 1, 2, 5 × 10^e giving at most 6
	// intervals, the top rounded up to a whole step.
	tests := []struct{ max, top, step int }{
		{0, 1, 1}, {1, 1, 1}, {5, 5, 1}, {6, 6, 1}, {7, 8, 2}, {12, 12, 2}, {13, 15, 5}, {31, 40, 10}, {61, 80, 20},
	}
	for _, tt := range tests {
		top, step := countAxis(tt.max)
		if top != tt.top || step != tt.step {
			t.Errorf("countAxis(%d) = %d, %d; want %d, %d", tt.max, top, step, tt.top, tt.step)
		}
	}
}
