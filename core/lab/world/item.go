package world

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Item is a task as a record of rcsd's item format (what `rcsd eval`,
// `rcsd validate`, `rcsd teacher` and the playground read): the rubric
// inline in rcsd's own format, every criterion with a rules check. Lab
// is ignored by rcsd's readers (unknown record fields are) and tells a
// person what the task is made of.
type Item struct {
	ID              string         `json:"id"`
	Prompt          string         `json:"prompt"`
	ReferenceAnswer string         `json:"reference_answer"`
	Rubric          *rubric.Rubric `json:"rubric"`
	Responses       []string       `json:"responses"`
	Lab             ItemInfo       `json:"lab"`
}

// ItemInfo describes a task in words.
type ItemInfo struct {
	Split    Split             `json:"split"`
	Level    int               `json:"level"`
	Features map[string]string `json:"features"`
	// RubricOnly lists the criteria (by id) the prompt says nothing about.
	RubricOnly []string `json:"rubric_only"`
}

// FeatureNames returns f in words: activity, season, audience, tone,
// place (when present) and days.
func (f Features) FeatureNames() map[string]string {
	m := map[string]string{
		"activity": activities[f.Activity].name,
		"season":   seasons[f.Season].name,
		"audience": audiences[f.Audience].name,
		"tone":     tones[f.Tone].name,
		"days":     fmt.Sprint(f.Days),
	}
	if f.Place >= 0 {
		m["place"] = places[f.Place].name
	}
	return m
}

// Item returns t as an item with k guessed responses drawn from rng:
// answers written without the rubric, each criterion met (a pitfall
// avoided) with probability one half, so the group's scores and GRPO
// advantages spread.
func (t *Task) Item(k int, rng *rand.Rand) Item {
	it := Item{ID: t.ID, Prompt: t.Prompt, ReferenceAnswer: t.Reference, Rubric: t.Rubric, Responses: make([]string, k),
		Lab: ItemInfo{Split: t.Split, Level: t.Difficulty.Level, Features: t.Features.FeatureNames(), RubricOnly: []string{}}}
	for i := range it.Responses {
		want := make([]bool, len(t.Criteria))
		for j, c := range t.Criteria {
			want[j] = (rng.IntN(2) == 0) != c.Kind.Negative()
		}
		it.Responses[i] = t.Write(rng, want).Text
	}
	for _, c := range t.Criteria {
		if c.RubricOnly {
			it.Lab.RubricOnly = append(it.Lab.RubricOnly, string(c.Kind))
		}
	}
	return it
}

// WriteItems writes tasks as JSONL items, each with k guessed responses
// drawn from a stream fixed by seed and the task's position.
func WriteItems(w io.Writer, tasks []*Task, k int, seed uint64) error {
	bw := bufio.NewWriter(w)
	for i, t := range tasks {
		rng := rand.New(rand.NewPCG(seed, uint64(i)^0x17e45000000000))
		b, err := json.Marshal(t.Item(k, rng))
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
