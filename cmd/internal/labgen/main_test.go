package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lab/world"
)

// labgen writes what world.WriteItems writes for the same tasks, one
// record per task.
func TestLabgen(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		split world.Split
	}{
		{[]string{"-n", "5", "-seed", "1", "-split", "heldout"}, world.HeldOut},
		{[]string{"-n", "5", "-seed", "2", "-from", "10"}, world.Train},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 0 {
			t.Fatalf("labgen %v: exit %d: %s", tc.args, code, errb.String())
		}
		seed, from := uint64(1), 0
		if tc.split == world.Train {
			seed, from = 2, 10
		}
		ts, err := tasks(tc.split, seed, world.Level(0), from, 5)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		world.WriteItems(&want, ts, 4, seed)
		if out.String() != want.String() || strings.Count(out.String(), "\n") != 5 {
			t.Errorf("labgen %v: output differs from WriteItems", tc.args)
		}
	}
}

func TestLabgenErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-split", "test"}, `labgen: -split: unknown split "test" (want train or heldout)`},
		{[]string{"-level", "4"}, "labgen: -level 4: want 1, 2 or 3"},
		{[]string{"-split", "heldout", "-from", "490", "-n", "20"}, "labgen: the held-out split has 500 tasks; -from 490 -n 20 asks for more"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 2 || strings.TrimSpace(errb.String()) != tc.want {
			t.Errorf("labgen %v: exit %d, %q; want 2, %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
