module github.com/rcsd-dev/rcsd

go 1.26.0

require (
	github.com/goccy/go-json v0.12.0
	github.com/goccy/go-yaml v1.19.2
	github.com/google/go-cmp v0.7.0
	golang.org/x/term v0.48.0
)

require golang.org/x/sys v0.50.0 // indirect
