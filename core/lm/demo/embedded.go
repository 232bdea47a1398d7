//go:build !rcsd_nomodel

package demo

import _ "embed"

// embedded is the gzipped payload built by cmd/internal/trainlm from the
// training slice of corpus/ with DefaultTrainConfig.
//
//go:embed model.bin.gz
var embedded []byte
