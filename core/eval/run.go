package eval

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
)

// RunID names the run an output belongs to: two outputs with the same
// Config and Input and different shards of the same Of are parts of one
// whole, and nothing else is. Fingerprints are lowercase sha256 hex.
type RunID struct {
	// Config is RunSettings.Fingerprint of the settings that shaped the
	// records.
	Config string `json:"config"`
	// Input is InputFingerprint of the bytes read; "" while it is not
	// known (an unfinished run that reads standard input).
	Input string `json:"input,omitempty"`
	// Shard is this part, 1 <= Shard <= Of; an unsharded run is 1 of 1.
	Shard int `json:"shard"`
	Of    int `json:"of"`
}

// String is "shard i/n".
func (id RunID) String() string { return fmt.Sprintf("shard %d/%d", id.Shard, id.Of) }

// RunSettings are the settings that decide what an output's records say.
// Settings that only change how fast or how robustly a run goes (timeouts,
// retries, concurrency) or what is printed about it (bootstrap, seed) are
// not here. A field added later must be omitted when empty, so outputs
// written before it keep their fingerprint.
type RunSettings struct {
	Engine  string `json:"engine"` // the producer, api.EngineVersion
	Judge   string `json:"judge"`
	Scoring string `json:"scoring"`
	GRPO    string `json:"grpo"`
	// Rubric is the sha256 hex of the shared --rubric file, "" without one.
	Rubric     string `json:"rubric,omitempty"`
	JudgeModel string `json:"judge_model,omitempty"`
	JudgeMode  string `json:"judge_mode,omitempty"`
}

// Fingerprint is the sha256 hex of the settings' JSON encoding (fields in
// declaration order, empty optional fields left out).
func (s RunSettings) Fingerprint() string {
	b, err := json.Marshal(s)
	if err != nil { // strings only: cannot happen
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Differences names the settings in which s differs from t, as
// "scoring rar, not healthbench" (fingerprints cut to 12 digits).
func (s RunSettings) Differences(t RunSettings) []string {
	var out []string
	add := func(name, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %s, not %s", name, orNone(a), orNone(b)))
		}
	}
	add("engine", s.Engine, t.Engine)
	add("judge", s.Judge, t.Judge)
	add("scoring", s.Scoring, t.Scoring)
	add("grpo", s.GRPO, t.GRPO)
	add("rubric", short(s.Rubric), short(t.Rubric))
	add("judge model", s.JudgeModel, t.JudgeModel)
	add("judge mode", s.JudgeMode, t.JudgeMode)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// short cuts a hex fingerprint to 12 digits for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// InputFingerprint combines the sha256 hex digests of a run's input files,
// in order: one file's fingerprint is its own digest (what sha256sum
// prints); several files' is the sha256 hex of their digests, each
// followed by a newline.
func InputFingerprint(digests []string) string {
	if len(digests) == 1 {
		return digests[0]
	}
	h := sha256.New()
	for _, d := range digests {
		h.Write([]byte(d))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RunRecordVersion is the version of the run record format.
const RunRecordVersion = 1

// RunRecord is what `rcsd eval` writes beside a JSONL output FILE, as
// FILE.run.json: which run the records belong to and, once the run has
// read its whole input, how many records it wrote and their digest, so a
// merge can tell a finished, untouched shard from a torn, unfinished,
// foreign or edited one. The records themselves are unchanged, so every
// reader of outputs keeps working.
type RunRecord struct {
	SchemaVersion int         `json:"schema_version"`
	Producer      string      `json:"producer"`
	Run           RunID       `json:"run"`
	Settings      RunSettings `json:"settings"`
	// Complete is set when the run read its whole input; an interrupted
	// or running run leaves it false.
	Complete bool `json:"complete"`
	// Records counts the output's lines and OutputSHA256 is the digest of
	// its bytes, when Complete.
	Records      int64  `json:"records"`
	OutputSHA256 string `json:"output_sha256,omitempty"`
	// Skipped counts input records left out for bad input.
	Skipped int `json:"skipped,omitempty"`
}

// Encode returns the record as indented JSON with a final newline.
func (r *RunRecord) Encode() []byte {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil { // plain fields only: cannot happen
		panic(err)
	}
	return append(b, '\n')
}

// ParseRunRecord reads a run record; file names it in diagnostics.
func ParseRunRecord(file string, data []byte) (*RunRecord, diag.List) {
	bad := func(msg string) diag.List {
		return diag.List{{Severity: diag.Error, Code: "bad-run-record", File: file, Message: msg,
			Hint: "it is written by rcsd eval beside its output; rerun or resume that run to rewrite it"}}
	}
	var r RunRecord
	if err := json.UnmarshalStrict(bytes.TrimSpace(data), &r); err != nil {
		return nil, bad("not an rcsd run record: " + err.Error())
	}
	if r.SchemaVersion != RunRecordVersion {
		return nil, bad(fmt.Sprintf("schema_version %d: this rcsd reads version %d", r.SchemaVersion, RunRecordVersion))
	}
	if r.Run.Of < 1 || r.Run.Shard < 1 || r.Run.Shard > r.Run.Of {
		return nil, bad(fmt.Sprintf("run.shard %d and run.of %d: want 1 <= shard <= of", r.Run.Shard, r.Run.Of))
	}
	if !isHex256(r.Run.Config) || (r.Run.Input != "" && !isHex256(r.Run.Input)) ||
		(r.OutputSHA256 != "" && !isHex256(r.OutputSHA256)) {
		return nil, bad("a fingerprint is not 64 lowercase hex digits")
	}
	return &r, nil
}

func isHex256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Shard is one part given to a merge: its file name and run record.
type Shard struct {
	File string
	Run  *RunRecord
}

// CheckShards reports every reason the shards do not form exactly one
// finished run: a shard whose run did not finish (unfinished-shard), one
// made with other settings, from another input or split another way than
// the first (foreign-shard), the same part twice (duplicate-shard) and a
// part not given (missing-shard). Each diagnostic names the files.
func CheckShards(shards []Shard) diag.List {
	var dl diag.List
	if len(shards) == 0 {
		return nil
	}
	first := shards[0]
	errorf := func(file, code, hint, format string, args ...any) {
		dl = append(dl, diag.Diagnostic{Severity: diag.Error, Code: code, File: file,
			Message: fmt.Sprintf(format, args...), Hint: hint})
	}
	byPart := map[int]string{}
	for i, s := range shards {
		r := s.Run
		if !r.Complete {
			errorf(s.File, "unfinished-shard", "finish it with rcsd eval --resume and the same flags",
				"its run (%s) has not read its whole input: it was interrupted, failed or is still running", r.Run)
		}
		if i == 0 {
			byPart[r.Run.Shard] = s.File
			continue
		}
		foreign := false
		if r.Run.Config != first.Run.Run.Config {
			foreign = true
			if d := r.Settings.Differences(first.Run.Settings); len(d) > 0 {
				errorf(s.File, "foreign-shard", "merge only the shards of one run",
					"made with other settings than %s: %s", first.File, strings.Join(d, ", "))
			} else {
				errorf(s.File, "foreign-shard", "merge only the shards of one run",
					"made with other settings than %s (config %s, not %s)", first.File, short(r.Run.Config), short(first.Run.Run.Config))
			}
		}
		if r.Run.Input != first.Run.Run.Input {
			foreign = true
			errorf(s.File, "foreign-shard", "merge only the shards of one run",
				"made from another input than %s (input sha256 %s, not %s)", first.File, orNone(short(r.Run.Input)), orNone(short(first.Run.Run.Input)))
		}
		if r.Run.Of != first.Run.Run.Of {
			foreign = true
			errorf(s.File, "foreign-shard", "merge only the shards of one run",
				"is %s, but %s is %s: the input was split another way", r.Run, first.File, first.Run.Run)
		}
		if foreign {
			continue
		}
		if prev, dup := byPart[r.Run.Shard]; dup {
			errorf(s.File, "duplicate-shard", "give each shard once",
				"is %s, like %s", r.Run, prev)
			continue
		}
		byPart[r.Run.Shard] = s.File
	}
	var missing []string
	for i := 1; i <= first.Run.Run.Of; i++ {
		if _, ok := byPart[i]; !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		var given []string
		for _, f := range byPart {
			given = append(given, f)
		}
		sort.Strings(given)
		errorf("", "missing-shard", fmt.Sprintf("run rcsd eval --shard i/%d with the same flags and input for each one missing", first.Run.Run.Of),
			"%s of %d %s missing: the shards given (%s) are not the whole run",
			plural(len(missing), "shard "+strings.Join(missing, ", "), "shards "+strings.Join(missing, ", ")), first.Run.Run.Of,
			plural(len(missing), "is", "are"), strings.Join(given, ", "))
	}
	return dl
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
