package demo

import (
	"os"
	"testing"
)

// SetData is how builds without the embedded model (-tags rcsd_nomodel,
// the browser playground) get it: a bad payload is refused and leaves
// nothing half-set; a good one is what Load returns.
func TestSetData(t *testing.T) {
	data, err := os.ReadFile("model.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	if err := SetData(data[:len(data)/2]); err == nil {
		t.Error("SetData accepted a truncated model")
	}
	if err := SetData(data); err != nil {
		t.Fatal(err)
	}
	m, err := Load()
	if err != nil || m.VocabSize() != 3392 {
		t.Fatalf("Load after SetData: %v, %v", m, err)
	}
}
