package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type key struct {
	Score float64
	Item  string
	Index int
}

func keys(rs []Response) []key {
	out := make([]key, len(rs))
	for i, r := range rs {
		out[i] = key{*r.Score, r.ItemID, r.ResponseIndex}
	}
	return out
}

func TestLowestKOrder(t *testing.T) {
	l := NewLowestK(4)
	offers := []key{
		{0.5, "b", 0}, {0.2, "z", 1}, {0.2, "a", 3}, {0.9, "a", 0},
		{0.2, "a", 1}, {math.NaN(), "n", 0}, {-0.4, "m", 2}, {0.2, "z", 0},
	}
	for _, o := range offers {
		l.Offer(o.Score, Response{ItemID: o.Item, ResponseIndex: o.Index})
	}
	want := []key{{-0.4, "m", 2}, {0.2, "a", 1}, {0.2, "a", 3}, {0.2, "z", 0}}
	if diff := cmp.Diff(want, keys(l.Items())); diff != "" {
		t.Errorf("Items (-want +got):\n%s", diff)
	}
	if l.Len() != 4 {
		t.Errorf("Len = %d, want 4", l.Len())
	}
	if l.Admits(0.2, "z", 1) || !l.Admits(0.2, "y", 9) || l.Admits(math.NaN(), "", 0) {
		t.Error("Admits disagrees with the order (score, item, index)")
	}
}

func TestLowestKKeepsGivenScore(t *testing.T) {
	l := NewLowestK(1)
	s := 0.75
	l.Offer(0.25, Response{ItemID: "x", Score: &s}) // the key is the offered score
	got := l.Items()
	if len(got) != 1 || *got[0].Score != 0.75 {
		t.Fatalf("Items = %+v, want the response with its own Score 0.75", got)
	}
	l = NewLowestK(1)
	l.Offer(0.25, Response{ItemID: "x"})
	if got := l.Items(); len(got) != 1 || got[0].Score == nil || *got[0].Score != 0.25 {
		t.Fatalf("nil Score not filled from the offer: %+v", got)
	}
}

func TestLowestKZero(t *testing.T) {
	for _, k := range []int{0, -3} {
		l := NewLowestK(k)
		l.Offer(0, Response{ItemID: "a"})
		if n := len(l.Items()); n != 0 {
			t.Errorf("k=%d keeps %d responses", k, n)
		}
	}
}

// TestLowestKStream checks against sorting everything, with many ties and
// arrival orders.
func TestLowestKStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := rng.IntN(300)
		k := rng.IntN(15)
		all := make([]key, n)
		for i := range all {
			all[i] = key{float64(rng.IntN(7)) / 4, fmt.Sprintf("item%02d", rng.IntN(20)), rng.IntN(4)}
		}
		l := NewLowestK(k)
		for _, o := range all {
			l.Offer(o.Score, Response{ItemID: o.Item, ResponseIndex: o.Index})
		}
		sort.Slice(all, func(i, j int) bool {
			a, b := all[i], all[j]
			if a.Score != b.Score {
				return a.Score < b.Score
			}
			if a.Item != b.Item {
				return a.Item < b.Item
			}
			return a.Index < b.Index
		})
		want := all[:min(k, n)]
		if diff := cmp.Diff(want, keys(l.Items())); diff != "" {
			t.Fatalf("trial %d (n=%d k=%d) (-want +got):\n%s", trial, n, k, diff)
		}
	}
}

func BenchmarkLowestKOffer(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			scores := make([]float64, n)
			for i := range scores {
				scores[i] = rng.Float64()
			}
			b.ResetTimer()
			for range b.N {
				l := NewLowestK(10)
				for i, s := range scores {
					l.Offer(s, Response{ItemID: "item", ResponseIndex: i})
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "responses/s")
		})
	}
}
