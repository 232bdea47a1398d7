package score

// Node is a node of a PaperBench-style rubric tree. A leaf carries its
// own Score (PaperBench grades leaves 0 or 1); an inner node's score is
// computed from its children.
type Node struct {
	ID       string  `json:"id,omitempty"`
	Weight   float64 `json:"weight"`
	Score    float64 `json:"score,omitempty"`
	Children []Node  `json:"children,omitempty"`
}

// Eval returns the node's score: a leaf's Score, or for an inner node the
// weighted mean of its children's scores
//
//	s = Σ_i w_i s_i / Σ_i w_i,   s = 0 when Σ_i w_i = 0,
//
// recursively (PaperBench's rule). Eval does not check that weights are
// non-negative; a rubric linter should.
func (n *Node) Eval() float64 {
	if len(n.Children) == 0 {
		return n.Score
	}
	var num, den float64
	for i := range n.Children {
		c := &n.Children[i]
		num += c.Weight * c.Eval()
		den += c.Weight
	}
	if den == 0 {
		return 0
	}
	return num / den
}
