# rcsd: rubric-conditioned self-distillation toolkit.
# `make help` lists the targets. Everything runs offline on a fresh clone.

GO      ?= go
BIN     := bin
RCSD    := $(BIN)/rcsd
WASMDIR := $(shell $(GO) env GOROOT)/lib/wasm
FUZZTIME ?= 10s
# The WebAssembly builds (playground and Worker): encoding/json instead of
# go-json and the demo model fetched beside the .wasm (core/internal/jsonx,
# core/lm/demo), and no inlining in packages that run once per edit or never
# in a hot loop (config, export, YAML, fmt, time, ...): 91 KB less gzip for
# no measurable cost, where -gcflags=all=-l would save 109 KB more but make
# the playground 1.6-2.2x slower under Node (BenchmarkPlayground).
WASM_TAGS  := rcsd_stdjson,rcsd_nomodel
WASM_COLD  := github.com/rcsd-dev/rcsd/core/export/... github.com/rcsd-dev/rcsd/core/config \
	github.com/rcsd-dev/rcsd/core/source github.com/rcsd-dev/rcsd/core/diag go.yaml.in/yaml/v3 \
	fmt time regexp/syntax compress/... crypto/... net/... os os/... syscall io/fs unicode \
	github.com/rcsd-dev/rcsd/core/rubric github.com/rcsd-dev/rcsd/core/redact \
	github.com/rcsd-dev/rcsd/core/grader github.com/rcsd-dev/rcsd/core/report \
	github.com/rcsd-dev/rcsd/core/eval github.com/rcsd-dev/rcsd/core/prompt \
	github.com/rcsd-dev/rcsd/core/score github.com/rcsd-dev/rcsd/wasm/jsfetch
# (rubric, redact, grader, report, eval, prompt, score and jsfetch joined
# the list when the reliability work took the .wasm to 2,018,398 B gzip as
# the browser test measures it (Go's BestCompression); with them 1,991,359 B.
# Each runs once per edit, not in a per-token loop.)
WASM_FLAGS := -tags $(WASM_TAGS) -trimpath -ldflags='-s -w' $(foreach p,$(WASM_COLD),-gcflags=$(p)=-l)
# The Worker keeps all inlining: it is 2.5 MB gzip either way (limit 3 MB)
# and CPU per request is what the free plan bills (docs/worker.md).
WORKER_FLAGS := -tags $(WASM_TAGS) -trimpath -ldflags='-s -w'


.PHONY: deps testdata serve worker worker-dev worker-size worker-load worker-cpu test-worker wasm site test-browser help build demo test test-go test-wasm lint check-imports bench fuzz clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the rcsd CLI into bin/
	$(GO) build -trimpath -o $(RCSD) ./cmd/rcsd

demo: build ## judge and score the bundled examples offline, show the teacher's context and the conditioned loss from the demo model
	@echo "== rcsd validate: the example rubrics, items and config =="
	@$(RCSD) validate -q examples/rubrics/* examples/science.jsonl examples/medical.jsonl examples/math.jsonl examples/eval-config.yaml
	@for f in examples/science.jsonl examples/medical.jsonl examples/math.jsonl; do \
		echo; echo "== rcsd eval --format text $$f =="; \
		$(RCSD) eval --format text --no-progress $$f || exit $$?; \
	done
	@echo; echo "== rcsd eval --format text --rubric examples/rubrics/answer-format.yaml examples/items-shared-rubric.jsonl =="
	@$(RCSD) eval --format text --no-progress --rubric examples/rubrics/answer-format.yaml examples/items-shared-rubric.jsonl
	@echo; echo "== what the teacher sees: rcsd teacher --chat plain examples/math.jsonl (first item) =="
	@$(RCSD) teacher --chat plain examples/math.jsonl | sed -n '1,/^$$/p'
	@echo "== the conditioned loss from the embedded demo model (no server), first math item: rcsd logprobs | rcsd loss --preset rcsd =="
	@head -n 1 examples/math.jsonl | $(RCSD) logprobs --backend demo --chat plain --attribution - 2>/dev/null | \
		$(RCSD) loss --preset rcsd --format text -
	@echo; echo "== the same setting as a TRL run: rcsd export --target trl-sdft --config examples/rcsd-train.yaml --data examples/math.jsonl =="
	@$(RCSD) export --target trl-sdft --config examples/rcsd-train.yaml --data examples/math.jsonl --out $(BIN)/demo-export --force

SITE := $(BIN)/site

wasm: ## build the playground's WebAssembly bridge (./wasm) into bin/site/rcsd.wasm with WASM_FLAGS
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -o $(SITE)/rcsd.wasm ./wasm

site: wasm ## assemble the playground in bin/site: site/* + rcsd.wasm + wasm_exec.js + the demo model + the examples
	mkdir -p $(SITE)/examples
	cp site/index.html site/*.js site/*.css $(SITE)/
	cp $(WASMDIR)/wasm_exec.js $(SITE)/wasm_exec.js
	cp core/lm/demo/model.bin.gz $(SITE)/demo-model.bin.gz
	cp examples/science.jsonl examples/medical.jsonl examples/math.jsonl $(SITE)/examples/

serve: build site ## serve the playground (bin/site) and the JSON API natively on 127.0.0.1:8080
	$(RCSD) serve --dir $(BIN)/site

WORKER       := build/worker
WORKER_PORT  ?= 8787
WRANGLER     := node_modules/.bin/wrangler
WRANGLER_ENV := env -u CLOUDFLARE_API_TOKEN WRANGLER_SEND_METRICS=false CI=1

worker: ## build the Cloudflare Worker (cmd/worker: js/wasm, encoding/json, no demo model) into build/worker/
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(WORKER)
	GOOS=js GOARCH=wasm $(GO) build $(WORKER_FLAGS) -o $(WORKER)/app.wasm ./cmd/worker

$(WRANGLER): package.json package-lock.json
	bash .ci/deps wrangler

worker-dev: worker site $(WRANGLER) ## run the Worker locally (playground + API): wrangler dev on http://127.0.0.1:$(WORKER_PORT)/
	$(WRANGLER_ENV) $(WRANGLER) dev --ip 127.0.0.1 --port $(WORKER_PORT)

worker-size: worker site $(WRANGLER) ## the Worker's upload size as wrangler deploy --dry-run reports it (free plan: 3 MB gzip)
	$(WRANGLER_ENV) $(WRANGLER) deploy --dry-run --outdir $(WORKER)-dist

worker-load: worker site $(WRANGLER) ## a bounded load run on loopback against wrangler dev (8 clients, 30 s): p50, p99, errors
	$(GO) run ./bench/worker -wrangler $(WRANGLER) -concurrency 8 -duration 30s

worker-cpu: worker build ## CPU ms per request of the Worker's .wasm under Node (new Go instance per request, as in workerd)
	head -n 1 examples/math.jsonl | $(RCSD) logprobs --backend demo --chat plain - > $(WORKER)-traces.jsonl
	node bench/worker/cpu.mjs $(WORKER) $(WORKER)-traces.jsonl 50

test-worker: worker site $(WRANGLER) ## the Worker under wrangler dev: every endpoint byte for byte against the native handler, the playground's files, a 5 s load smoke run with no error
	$(GO) vet -tags rcsd_wrangler ./cmd/worker
	$(GO) test -count=1 -tags rcsd_wrangler ./cmd/worker
	$(GO) run ./bench/worker -wrangler $(WRANGLER) -concurrency 8 -duration 5s

deps: ## install what the tests need when missing: Node and npm, Chromium (Debian packages; sudo when not root), wrangler (npm ci into node_modules/)
	bash .ci/deps

test: deps lint check-imports test-go test-wasm test-browser test-worker ## run every test (what CI runs), after make deps

test-go: ## Go tests (race detector on the concurrent packages)
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./cmd/... ./core/remote/... ./core/judge/...

test-browser: build site ## the playground in headless Chromium (chromedp; screenshots in testdata/artifacts/)
	$(GO) vet -tags browser ./site/...
	$(GO) test -count=1 -tags browser ./site/...

test-wasm: ## the core's tests compiled to WebAssembly, run under Node
	@command -v node >/dev/null || { echo "node is needed for the wasm tests (make deps installs it)"; exit 1; }
	PATH="$(WASMDIR):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 -tags rcsd_stdjson ./core/...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet -tags rcsd_stdjson ./core/...

check-imports: ## the core knows no process: no os, flag, log or syscall/js under core/
	@bad=$$($(GO) list -f '{{.ImportPath}}: {{join .Imports " "}}' ./core/... | grep -E ': .*\b(os|flag|log|syscall/js)( |$$)' || true); \
	if [ -n "$$bad" ]; then echo "core packages must not import os, flag, log or syscall/js:"; echo "$$bad"; exit 1; fi; \
	echo "check-imports: ok"

bench: ## benchmarks: Go micro-benchmarks, then the side-by-side scripts under bench/
	$(GO) test -run '^$$' -bench . -benchmem ./core/...
	@echo "side-by-side against Python: bench/ingest/run.sh and bench/rules/run.sh (see bench/README.md)"

fuzz: ## short runs of every fuzz target (FUZZTIME=10s each)
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean: ## remove build outputs
	rm -rf $(BIN) bench/out

testdata: ## write testdata/healthbench/items.jsonl: the public HealthBench rows in ../shared/data joined with the project's labels (never committed)
	$(GO) run ./cmd/internal/fixtures
