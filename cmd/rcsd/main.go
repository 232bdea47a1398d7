// Command rcsd is the rubric-conditioned self-distillation toolkit's CLI:
// it validates rubrics and item files, judges and scores responses in
// batch, and merges sharded runs. `rcsd help` teaches the commands.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
