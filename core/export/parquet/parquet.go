// Package parquet encodes the rows of a verl export (export.VerlRow) as a
// Parquet file and reads them back. It is apart from core/export so that
// the WebAssembly build of the playground, which offers the config files
// only, does not link a Parquet library. It never touches the process.
package parquet

import (
	"bytes"

	pq "github.com/parquet-go/parquet-go"

	"github.com/rcsd-dev/rcsd/core/export"
)

// Encode writes rows as one Parquet file with verl's columns:
// data_source, prompt (a list of {role, content}), ability,
// reward_model {style, ground_truth} and extra_info {split, index, id,
// rubric, reference_answer, privileged_context}. pandas and pyarrow read
// prompt as a list of dicts and the structs as dicts, as verl's
// RLHFDataset expects.
func Encode(rows []export.VerlRow) ([]byte, error) {
	var buf bytes.Buffer
	if err := pq.Write(&buf, rows, pq.Compression(&pq.Zstd)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a file that Encode wrote.
func Decode(data []byte) ([]export.VerlRow, error) {
	return pq.Read[export.VerlRow](bytes.NewReader(data), int64(len(data)))
}
