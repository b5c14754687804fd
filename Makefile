# Vendo — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X vendo/app.Version=$(VERSION)
BIN := $(CURDIR)/.bin
STRIPE_MOCK_VERSION := v0.203.0
export PATH := $(BIN):$(PATH)

.PHONY: run build test deps chromium weed weed-background vet fmt bench fuzz clean

## run: build and start the shop in sandbox mode with the demo catalog
run: build
	./vendo

## build: a static binary with version info
build:
	@echo "building ./vendo (the first build compiles every dependency: a minute or two)…"
	@CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o vendo .

# axe-core, pinned in e2e/package-lock.json, injected by the browser suite
# into every page it checks for accessibility (e2e/a11y_test.go). Defined
# before deps: make expands a rule's prerequisites when it reads the rule.
AXE := $(BIN)/npm/node_modules/axe-core/axe.min.js

## deps: install what the tests need (stripe-mock; SeaweedFS for the S3 tests; Chromium and axe-core for the browser suite in e2e/)
deps: $(BIN)/stripe-mock weed chromium $(AXE)

# Debian's Chromium, driven headless by the e2e suite; apt needs root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || (echo "installing chromium for the browser tests (e2e/)" && $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade chromium)

$(AXE): e2e/package.json e2e/package-lock.json
	@command -v npm >/dev/null || (echo "installing npm for axe-core (e2e/)" && $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade npm)
	mkdir -p $(BIN)/npm && cp e2e/package.json e2e/package-lock.json $(BIN)/npm/
	npm ci --prefix $(BIN)/npm --no-audit --no-fund --loglevel=error
	touch $@

$(BIN)/stripe-mock:
	GOBIN=$(BIN) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

# SeaweedFS, the S3 server the bucket tests (app/s3files, e2e) and the
# bucket benchmark run against. `go install` refuses its module (its go.mod
# has replace directives), so the module is downloaded, copied out of the
# read-only module cache and built there. About ten CPU-minutes, so it is
# built only when .bin/weed of the pinned version is missing (the version
# it was built from is kept in .bin/weed.version): cache .bin/ between CI
# runs, keyed on WEED_VERSION, and it is built once per version.
WEED_VERSION := v0.0.0-20261109003541-7506e5f91cd6
WEED_OK = [ -x $(BIN)/weed ] && [ "$$(cat $(BIN)/weed.version 2>/dev/null)" = "$(WEED_VERSION)" ]
## weed: build SeaweedFS's server into .bin/weed (once per pinned version)
weed:
	@if $(WEED_OK); then exit 0; fi; \
	set -e; echo "building SeaweedFS $(WEED_VERSION) into .bin/weed for the S3 tests (about ten CPU-minutes, once)…"; \
	mkdir -p $(BIN); dir=$$(cd $(BIN) && GOFLAGS= GO111MODULE=on go mod download -json github.com/seaweedfs/seaweedfs@$(WEED_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	[ -n "$$dir" ] || { echo "make weed: go mod download did not name the module directory"; exit 1; }; \
	src=$$(mktemp -d $(BIN)/weed-src.XXXXXX); trap 'rm -rf "$$src"' EXIT; \
	cp -R "$$dir"/. "$$src"; chmod -R u+w "$$src"; \
	(cd "$$src" && GOFLAGS= go build -trimpath -ldflags '-s -w' -o $(BIN)/weed.tmp ./weed); \
	mv $(BIN)/weed.tmp $(BIN)/weed; echo $(WEED_VERSION) > $(BIN)/weed.version; \
	echo "built .bin/weed (SeaweedFS $(WEED_VERSION))"

# make test builds a missing .bin/weed in the background, at low priority,
# while the other tests run: only the bucket tests wait for it (they read
# its pid in .bin/weed.building). make deps builds it in the foreground.
weed-background:
	@if $(WEED_OK); then exit 0; fi; mkdir -p $(BIN); \
	echo "building SeaweedFS $(WEED_VERSION) into .bin/weed in the background (about ten CPU-minutes, once; log in .bin/weed-build.log); the S3 tests wait for it"; \
	( nice -n 19 $(MAKE) --no-print-directory weed > $(BIN)/weed-build.log 2>&1; rm -f $(BIN)/weed.building ) & echo $$! > $(BIN)/weed.building

# make test prints each phase as it starts, with the time since it began,
# so a long run shows where it is.
START := $(shell date +%s)
phase = @t=$$(( $$(date +%s) - $(START) )); printf '\n== [%s] %s  (%dm%02ds)\n' '$(1)' '$(2)' $$((t/60)) $$((t%60))

# The slowest test packages come first, so the longest runs start at once
# instead of after the quick ones (go test runs -p packages at a time, in
# the order given); ./... adds the rest. Three at a time on two cores: the
# two longest spend most of their time waiting on servers and a browser,
# and the third slot builds and runs the other packages meanwhile.
SLOW_TESTS := ./app/server ./e2e ./app/webhook ./app/sandbox ./app/web
TEST_JOBS ?= 3
# (A variable, because make splits $(call) arguments on commas.)
TEST_TOOLS := stripe-mock $(STRIPE_MOCK_VERSION), Chromium, axe-core

## test: check go.mod and formatting, install test tools, run every go vet check and every test with the race detector, then a short fuzz run
test:
	$(call phase,1/5,go mod tidy -diff: go.mod and go.sum match the imports)
	@go mod tidy -diff || { echo "make test: go.mod or go.sum is not tidy (the diff above): run go mod tidy and commit the result."; exit 1; }
	$(call phase,2/5,gofmt -l)
	@files=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$files" ] || { echo "make test: these files are not gofmt'd (run make fmt):"; echo "$$files"; exit 1; }
	$(call phase,3/5,installing test tools: $(TEST_TOOLS); SeaweedFS in the background)
	@$(MAKE) --no-print-directory weed-background
	@$(MAKE) --no-print-directory $(BIN)/stripe-mock chromium $(AXE)
	@# -vet=all runs every check of go vet on each package inside go test,
	@# on the race build's type information: a separate go vet ./... first
	@# compiled every package a second time, without -race (two minutes of a busy run).
	$(call phase,4/5,go test -race -vet=all ./...: every go vet check and every test; the slowest packages first)
	@# The timeout is a guard against a hung test, not a budget: with a cold
	@# .bin/ the bucket tests first wait for the SeaweedFS build.
	STRIPE_MOCK_BIN=$(BIN)/stripe-mock go test -race -vet=all -p $(TEST_JOBS) -count=1 -timeout 25m $(SLOW_TESTS) ./...
	$(call phase,5/5,fuzz every target for 3s; two packages at a time)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s
	$(call phase,done,make test passed)

# Every fuzz target, as package:Func, found in the test files so a new one
# is never left out.
FUZZ_TARGETS ?= $(shell grep -rHo --include='*_test.go' --exclude-dir=.bin '^func Fuzz[A-Za-z0-9_]*' . | sed -E 's|^(.*)/[^/]*:func (Fuzz.*)|\1:\2|' | sort)
FUZZTIME ?= 60s

## fuzz: run each fuzz target for FUZZTIME (default 60s), FUZZ_JOBS packages at a time; logs in .bin/fuzz/
FUZZ_JOBS ?= 2
fuzz:
	@mkdir -p $(BIN)/fuzz
	@# One chain per package: its fuzzing test binary (every package it
	@# links instrumented for coverage) is built once and runs each of the
	@# package's targets in turn, from the package directory as go test
	@# would, with go test's corpus cache. Chains run side by side, so one
	@# builds while another fuzzes.
	@# Go 1.26's fuzzing can fail a target at its -fuzztime deadline with
	@# "context deadline exceeded" and no input (go.dev/issue/75804, fixed in
	@# 1.27): such a target runs once more; a found input always fails.
	@printf '%s\n' $(FUZZ_TARGETS) | sed 's/:.*//' | sort -u | xargs -P $(FUZZ_JOBS) -I{} bash -c '\
		pkg={}; first=; for t in $(FUZZ_TARGETS); do [ "$${t%%:*}" = "$$pkg" ] && { first=$${t##*:}; break; }; done; \
		bin=$(BIN)/fuzz/$$(go list -f "{{.ImportPath}}" $$pkg | tr / _).test; \
		cache=$$(go env GOCACHE)/fuzz/$$(go list -f "{{.ImportPath}}" $$pkg); \
		echo "fuzz: building $$pkg for fuzzing"; \
		go test -c -fuzz "^$$first\$$" -o $$bin $$pkg || { echo "fuzz: could not build $$pkg"; exit 1; }; \
		for t in $(FUZZ_TARGETS); do \
			[ "$${t%%:*}" = "$$pkg" ] || continue; fn=$${t##*:}; log=$(BIN)/fuzz/$$fn.log; \
			echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
			fuzz() { (cd $$pkg && $$bin -test.run "^$$" -test.fuzz "^$$fn\$$" -test.fuzztime $(FUZZTIME) -test.fuzzcachedir "$$cache") >$$log 2>&1; }; \
			fuzz && continue; \
			if grep -q "context deadline exceeded" $$log && ! grep -q "Failing input written" $$log; then \
				echo "fuzz $$fn: stopped at its deadline with nothing found (a race in Go 1.26 fuzzing, go.dev/issue/75804); once more"; \
				fuzz && continue; \
			fi; \
			cat $$log; echo "fuzz $$fn failed"; exit 1; \
		done'

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: seed a large shop in a temp dir, load the release binary, print each figure beside a same-run baseline (bench/results.md); SCALE=100000 adds a 100k-product shop to the growth table (1k and 10k otherwise)
bench: build
	@command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade wrk >/dev/null 2>&1 || \
		{ apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade wrk >/dev/null 2>&1; } || \
		echo "make bench: wrk could not be installed with apt-get; the Go load generator (bench/load.go) is used instead"
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $(BIN)/bench-baseline ./bench/baseline
	go run ./bench -bin ./vendo -baseline $(BIN)/bench-baseline -out bench/results.md $(if $(SCALE),-scale $(SCALE))

clean:
	rm -rf vendo $(BIN)
