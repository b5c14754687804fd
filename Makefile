# Vendo — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X vendo/app.Version=$(VERSION)
BIN := $(CURDIR)/.bin
STRIPE_MOCK_VERSION := v0.203.0
export PATH := $(BIN):$(PATH)

.PHONY: run build test deps chromium vet fmt bench fuzz clean

## run: build and start the shop in sandbox mode with the demo catalog
run: build
	./vendo

## build: a static binary with version info
build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o vendo .

## deps: install what the tests need (stripe-mock; Chromium for the browser suite in e2e/)
deps: $(BIN)/stripe-mock chromium

# Debian's Chromium, driven headless by the e2e suite; apt needs root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || (echo "installing chromium for the browser tests (e2e/)" && $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

$(BIN)/stripe-mock:
	GOBIN=$(BIN) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

## test: install test dependencies, vet, run every test with the race detector, then a short fuzz run
test: deps
	go vet ./...
	STRIPE_MOCK_BIN=$(BIN)/stripe-mock go test -race -count=1 -timeout 12m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=3s

# Every fuzz target, as package:Func.
FUZZ_TARGETS := ./app/webhook:FuzzWebhookRoute ./app/web:FuzzFormPosts ./app/search:FuzzParseQuery ./app/search:FuzzSearch \
	./app/shop:FuzzDownloadToken ./app/web:FuzzParseRange ./app:FuzzParseMoney
FUZZTIME ?= 60s

## fuzz: run each fuzz target for FUZZTIME (default 60s)
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg >/tmp/vendo-fuzz.log 2>&1 || { cat /tmp/vendo-fuzz.log; exit 1; }; \
	done

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: seed a large shop in a temp dir, load the release binary, print each figure beside a same-run baseline (bench/results.md)
bench: build
	@command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null 2>&1 || \
		{ apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null 2>&1; } || \
		echo "make bench: wrk could not be installed with apt-get; the Go load generator (bench/load.go) is used instead"
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o $(BIN)/bench-baseline ./bench/baseline
	go run ./bench -bin ./vendo -baseline $(BIN)/bench-baseline -out bench/results.md

clean:
	rm -rf vendo $(BIN)
