package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func hex256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestRunSettingsFingerprint pins the fingerprint of a fixed setting:
// the value is sha256 of the JSON below (checked with `printf %s JSON |
// sha256sum`), so a change to the encoding, which would make every
// earlier output foreign, fails here. An empty optional field is left
// out, so adding one later keeps old fingerprints.
func TestRunSettingsFingerprint(t *testing.T) {
	s := RunSettings{Engine: "rcsd 0.1.0", Judge: "labels", Scoring: "healthbench", GRPO: "trl"}
	const js = `{"engine":"rcsd 0.1.0","judge":"labels","scoring":"healthbench","grpo":"trl"}`
	const want = "39fec1e6a51204f9dd057ef13c7d0709020cdb6b9a5bcb26dd43b366d6186bcc" // printf %s JSON | sha256sum
	if got := s.Fingerprint(); got != want {
		t.Errorf("Fingerprint = %s, want sha256(%s) = %s", got, js, want)
	}
	t2 := s
	t2.Scoring = "rar"
	if s.Fingerprint() == t2.Fingerprint() {
		t.Errorf("settings that differ share a fingerprint")
	}
	if d := cmp.Diff([]string{"scoring rar, not healthbench"}, t2.Differences(s)); d != "" {
		t.Errorf("Differences (-want +got):\n%s", d)
	}
}

func TestInputFingerprint(t *testing.T) {
	a, b := hex256("a\n"), hex256("b\n")
	if got := InputFingerprint([]string{a}); got != a {
		t.Errorf("one file: %s, want its own digest %s", got, a)
	}
	if got, want := InputFingerprint([]string{a, b}), hex256(a+"\n"+b+"\n"); got != want {
		t.Errorf("two files: %s, want %s", got, want)
	}
}

func TestParseRunRecord(t *testing.T) {
	cfg := hex256("c")
	good := `{"schema_version":1,"producer":"rcsd 0.1.0","run":{"config":"` + cfg + `","shard":2,"of":3},` +
		`"settings":{"engine":"rcsd 0.1.0","judge":"labels","scoring":"rar","grpo":"trl"},"complete":false,"records":0}`
	tests := []struct {
		name, data, err string
	}{
		{"good", good, ""},
		{"round trip", string((&RunRecord{SchemaVersion: 1, Run: RunID{Config: cfg, Input: cfg, Shard: 1, Of: 1}, Complete: true, Records: 3, OutputSHA256: cfg}).Encode()), ""},
		{"unknown field", strings.Replace(good, `"records"`, `"recrods"`, 1),
			`r.run.json: error bad-run-record: not an rcsd run record: json: unknown field "recrods"`},
		{"version", strings.Replace(good, `"schema_version":1`, `"schema_version":2`, 1),
			"r.run.json: error bad-run-record: schema_version 2: this rcsd reads version 1"},
		{"shard past of", strings.Replace(good, `"shard":2`, `"shard":4`, 1),
			"r.run.json: error bad-run-record: run.shard 4 and run.of 3: want 1 <= shard <= of"},
		{"short fingerprint", strings.Replace(good, cfg, "abc", 1),
			"r.run.json: error bad-run-record: a fingerprint is not 64 lowercase hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, dl := ParseRunRecord("r.run.json", []byte(tt.data))
			if tt.err == "" {
				if len(dl) > 0 || r == nil {
					t.Fatalf("diagnostics %v", dl)
				}
				return
			}
			if len(dl) != 1 || !strings.HasPrefix(dl[0].String(), tt.err) || r != nil {
				t.Errorf("got %v, want %q", dl, tt.err)
			}
		})
	}
}

func TestCheckShards(t *testing.T) {
	hb := RunSettings{Engine: "rcsd 0.1.0", Judge: "labels", Scoring: "healthbench", GRPO: "trl"}
	rar := hb
	rar.Scoring = "rar"
	in, other := hex256("in"), hex256("other")
	shard := func(file string, s RunSettings, input string, i, n int, complete bool) Shard {
		return Shard{File: file, Run: &RunRecord{Run: RunID{Config: s.Fingerprint(), Input: input, Shard: i, Of: n}, Settings: s, Complete: complete}}
	}
	tests := []struct {
		name   string
		shards []Shard
		want   []string
	}{
		{"whole", []Shard{shard("p2", hb, in, 2, 2, true), shard("p1", hb, in, 1, 2, true)}, nil},
		{"unsharded", []Shard{shard("all", hb, in, 1, 1, true)}, nil},
		{"missing two", []Shard{shard("p2", hb, in, 2, 4, true)}, []string{
			"error missing-shard: shards 1, 3, 4 of 4 are missing: the shards given (p2) are not the whole run (run rcsd eval --shard i/4 with the same flags and input for each one missing)"}},
		{"first given twice", []Shard{shard("p1", hb, in, 1, 2, true), shard("p1", hb, in, 1, 2, true), shard("p2", hb, in, 2, 2, true)}, []string{
			"p1: error duplicate-shard: is shard 1/2, like p1 (give each shard once)"}},
		{"unfinished", []Shard{shard("p1", hb, in, 1, 2, true), shard("p2", hb, "", 2, 2, false)}, []string{
			"p2: error unfinished-shard: its run (shard 2/2) has not read its whole input: it was interrupted, failed or is still running (finish it with rcsd eval --resume and the same flags)",
			"p2: error foreign-shard: made from another input than p1 (input sha256 none, not " + in[:12] + ") (merge only the shards of one run)",
			"error missing-shard: shard 2 of 2 is missing: the shards given (p1) are not the whole run (run rcsd eval --shard i/2 with the same flags and input for each one missing)"}},
		{"foreign everything", []Shard{shard("p1", hb, in, 1, 2, true), shard("q2", rar, other, 2, 3, true)}, []string{
			"q2: error foreign-shard: made with other settings than p1: scoring rar, not healthbench (merge only the shards of one run)",
			"q2: error foreign-shard: made from another input than p1 (input sha256 " + other[:12] + ", not " + in[:12] + ") (merge only the shards of one run)",
			"q2: error foreign-shard: is shard 2/3, but p1 is shard 1/2: the input was split another way (merge only the shards of one run)",
			"error missing-shard: shard 2 of 2 is missing: the shards given (p1) are not the whole run (run rcsd eval --shard i/2 with the same flags and input for each one missing)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range CheckShards(tt.shards) {
				got = append(got, d.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
