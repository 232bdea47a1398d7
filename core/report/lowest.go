package report

import (
	"container/heap"
	"math"
	"sort"
)

// LowestK keeps the k lowest-scoring responses of a stream in O(k) memory
// and O(log k) per offer, so a host can feed it every result of a large run.
// Order is total and deterministic: score ascending, then item id, then
// response index; ties at the boundary therefore keep the same responses
// whatever the arrival order.
type LowestK struct {
	k int
	h maxHeap
}

// NewLowestK returns a LowestK keeping k responses (none when k <= 0).
func NewLowestK(k int) *LowestK {
	return &LowestK{k: max(k, 0)}
}

type scored struct {
	score float64
	r     Response
}

// less is the report order: score, item id, response index.
func less(a, b *scored) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if a.r.ItemID != b.r.ItemID {
		return a.r.ItemID < b.r.ItemID
	}
	return a.r.ResponseIndex < b.r.ResponseIndex
}

// maxHeap has the greatest (last to report) element at the root.
type maxHeap []*scored

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return less(h[j], h[i]) }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(*scored)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// Admits reports whether a response with this key would be kept by Offer
// now, so a host can skip building the Response (criteria views, text)
// for the vast majority that would be dropped. NaN never is.
func (l *LowestK) Admits(score float64, itemID string, responseIndex int) bool {
	if math.IsNaN(score) || l.k == 0 {
		return false
	}
	if len(l.h) < l.k {
		return true
	}
	return less(&scored{score, Response{ItemID: itemID, ResponseIndex: responseIndex}}, l.h[0])
}

// Offer considers r with the given score. A NaN score (undefined) is
// ignored. When r.Score is nil it is set to score.
func (l *LowestK) Offer(score float64, r Response) {
	if !l.Admits(score, r.ItemID, r.ResponseIndex) {
		return
	}
	if r.Score == nil {
		s := score
		r.Score = &s
	}
	e := &scored{score, r}
	if len(l.h) < l.k {
		heap.Push(&l.h, e)
		return
	}
	l.h[0] = e
	heap.Fix(&l.h, 0)
}

// Len is the number of responses kept.
func (l *LowestK) Len() int { return len(l.h) }

// Items returns the kept responses, lowest first. It does not change the
// LowestK, which may keep receiving offers.
func (l *LowestK) Items() []Response {
	s := make([]*scored, len(l.h))
	copy(s, l.h)
	sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
	out := make([]Response, len(s))
	for i, e := range s {
		out[i] = e.r
	}
	return out
}
