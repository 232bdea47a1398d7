package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScript runs the CLI transcripts in testdata/script/*.txtar: every
// command's help, a happy path and its main error paths, as a person types
// them (the `rcsd` command in a script is this package's run, in a child
// process). Each script starts in a fresh directory holding a copy of the
// repository's examples/ and testdata/ of this package, so the outputs name
// the same relative paths on every machine. `go test ./cmd/rcsd -run
// TestScript -update` (or UPDATE_GOLDEN=1) rewrites every expected output
// in the scripts; read the diff before committing it.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			if err := os.CopyFS(filepath.Join(env.WorkDir, "examples"), os.DirFS(filepath.Join("..", "..", "examples"))); err != nil {
				return err
			}
			env.Setenv("NO_COLOR", "1")
			env.Setenv("RCSD_JUDGE_API_KEY", "")
			return nil
		},
	})
}
