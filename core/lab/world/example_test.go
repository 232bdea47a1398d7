package world_test

import (
	"fmt"

	"github.com/rcsd-dev/rcsd/core/lab/world"
)

// A task, its compact rubric (what the teacher reads) and the model's
// sequences.
func Example() {
	g, err := world.NewGenerator(1, world.Level(1))
	if err != nil {
		panic(err)
	}
	t := g.Task(world.Train, 3)
	fmt.Println(t.Prompt)
	fmt.Println(world.CompactRubric(t.Rubric))
	fmt.Println(t.Reference)
	tok := world.NewTokenizer()
	student := world.StudentContext(tok, t.Prompt)
	teacher := world.TeacherContext(tok, t.Prompt, t.Rubric, "")
	answer := world.AnswerIDs(tok, t.Reference)
	fmt.Println(len(student), len(teacher), len(answer))
	fmt.Printf("%q\n", tok.Decode(teacher[len(teacher)-4:]))
	seq := world.Join(teacher, answer)
	fmt.Println(seq.Start == len(teacher), tok.Decode(seq.IDs[seq.Start:]) == t.Reference+"<eos>")
	// Output:
	// Write a formal note for children going on a 4 day autumn camp.
	// 8 bring the fleece vest
	// 8 carry 8 liters of water
	// -2 says swim alone
	// -1 says after dark
	// -2 packs the kettle
	// Dear children, For your 4 day autumn camp, bring the tent stakes, the fleece vest and the knife. Carry 8 liters of water. First charge the phone, then study the route, then pack the bag. Meet at the old mill. Drink a little every hour. Take photos of the view. From Emil.
	// 16 47 65
	// " packs the kettle<answer>"
	// true true
}
