package api

import (
	"context"
	"strings"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/export"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/source"
)

// ExportRequest asks for the files of a training run in a native
// framework, from an rcsd config and (optionally) items.
type ExportRequest struct {
	// Target is trl-sdft, trl-gkd, verl or tinker.
	Target string `json:"target"`
	// Config is the rcsd config file's text (YAML or JSON); ConfigFile
	// names it in diagnostics and NOTES.md.
	Config     string `json:"config"`
	ConfigFile string `json:"config_file,omitempty"`
	// Items is JSONL, one record per line as rcsd eval reads them
	// (responses are not needed); empty exports the settings only.
	// ItemsFile names it in diagnostics.
	Items     string `json:"items,omitempty"`
	ItemsFile string `json:"items_file,omitempty"`
	// Rubric is the text of the config's rubric file (rubrics.file, or
	// the top-level rubric), which the host reads; RubricFile names it.
	Rubric     string `json:"rubric,omitempty"`
	RubricFile string `json:"rubric_file,omitempty"`
}

// ExportFile is one exported file (text; verl's Parquet dataset is in
// ExportResponse.VerlRows for hosts that write it).
type ExportFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// ExportResponse holds the files, the mapping of every knob and the
// diagnostics: warnings for what the target cannot express, errors for a
// config or a loss it cannot run (then Files is empty), and the problems
// of skipped records.
type ExportResponse struct {
	Target      string           `json:"target"`
	Files       []ExportFile     `json:"files"`
	Mappings    []export.Mapping `json:"mappings"`
	Diagnostics diag.List        `json:"diagnostics"`
	Records     int              `json:"records"`
	Rows        int              `json:"rows"`
	Skipped     int              `json:"skipped"`
	// VerlRows are the rows of a verl export's train.parquet, which
	// core/export/parquet encodes (the CLI does; the browser offers the
	// config files only).
	VerlRows      []export.VerlRow `json:"-"`
	EngineVersion string           `json:"engine_version"`
}

// Export maps a config to a training framework's files. Every problem is
// reported at once: the config's own (with line, column and path), a
// shared rubric's, knobs the target cannot express, and bad records
// (skipped, with file:line and JSON path).
func Export(ctx context.Context, req ExportRequest) ExportResponse {
	resp := ExportResponse{Target: req.Target, Files: []ExportFile{}, Mappings: []export.Mapping{}, Diagnostics: diag.List{}, EngineVersion: EngineVersion}
	target, err := export.ParseTarget(req.Target)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, diag.Errorf(export.CodeCannot, "", "%v", err))
		return resp
	}
	cfgFile := req.ConfigFile
	if cfgFile == "" {
		cfgFile = "config"
	}
	c, dl := config.Parse(cfgFile, []byte(req.Config))
	resp.Diagnostics = append(resp.Diagnostics, dl...)
	if c == nil {
		return resp
	}
	var shared *rubric.Rubric
	if src := c.RubricSourceOf(); req.Items != "" {
		switch src.From {
		case config.FromFile:
			if req.Rubric == "" {
				d := diag.Errorf(config.CodeMissingValue, "$.rubrics.file", "the config's rubric file %s was not given", src.File)
				d.File = cfgFile
				resp.Diagnostics = append(resp.Diagnostics, d)
				return resp
			}
			name := req.RubricFile
			if name == "" {
				name = src.File
			}
			r, rdl := rubric.Load(name, []byte(req.Rubric))
			resp.Diagnostics = append(resp.Diagnostics, rdl...)
			if r == nil {
				return resp
			}
			shared = r
		case config.FromInline:
			r, rdl := c.InlineRubric()
			resp.Diagnostics = append(resp.Diagnostics, rdl.WithFile(cfgFile)...)
			if r == nil {
				return resp
			}
			shared = r
		}
	}
	if ctx.Err() != nil {
		resp.Diagnostics = append(resp.Diagnostics, diag.Errorf(export.CodeCannot, "", "%v", ctx.Err()))
		return resp
	}
	res := export.Export(export.Request{Target: target, Config: c, ConfigFile: req.ConfigFile, Items: req.Items, ItemsFile: req.ItemsFile, Rubric: shared, EngineVersion: EngineVersion})
	// The knobs' diagnostics point into the config (line, column of the
	// knob, or of its nearest ancestor when a preset set it); the records'
	// already point into the items.
	var knobs diag.List
	for _, d := range res.Diagnostics {
		if d.File == "" && d.Line == 0 && d.Record == "" {
			knobs = append(knobs, d)
			continue
		}
		resp.Diagnostics = append(resp.Diagnostics, d)
	}
	// A knob the preset set (its section is absent) points at the preset.
	if c.Preset != "" {
		pl, pc := source.Locate([]byte(req.Config), "$.preset")
		for i, d := range knobs {
			if fromPreset(c, d.Path) {
				knobs[i].Line, knobs[i].Column = pl, pc
			}
		}
	}
	resp.Diagnostics = append(source.Place(knobs, []byte(req.Config), cfgFile), resp.Diagnostics...)
	resp.Mappings = res.Mappings
	resp.Records, resp.Rows, resp.Skipped = res.Records, res.Rows, res.Skipped
	resp.VerlRows = res.Verl
	for _, f := range res.Files {
		resp.Files = append(resp.Files, ExportFile{Name: f.Name, Content: string(f.Content)})
	}
	return resp
}

// fromPreset reports whether the knob at path came from the preset: its
// section (loss, teacher, sampling) is absent from the file.
func fromPreset(c *config.Config, path string) bool {
	switch {
	case strings.HasPrefix(path, "$.loss."):
		return c.Loss == (distill.Options{})
	case strings.HasPrefix(path, "$.teacher."):
		return c.Teacher.Mode == "" && c.Teacher.EMADecay == 0 && len(c.Teacher.Privileged) == 0
	case strings.HasPrefix(path, "$.sampling."):
		return c.Sampling == (config.Sampling{})
	}
	return false
}
