# s3sso build, lint and test entry points. GNU make.
#
#   make build   build bin/s3sso
#   make tools   build the pinned external tools (MinIO, golangci-lint, Dex) once
#                and install the Debian packages tests need (scripts/apt.sh:
#                the AWS CLI v2, gnome-keyring, fuse3, chromium, e2fsprogs)
#   make lint    gofmt, go vet, golangci-lint (.golangci.yml: staticcheck's checks,
#                errcheck, ... and depguard's layer rules)
#   make test    tools + lint + all tests with the race detector, then every fuzz
#                target for TEST_FUZZTIME (default 4s) each (what CI runs)
#   make fuzz    every fuzz target for FUZZTIME (default 2m) each (scripts/fuzz.sh)
#   make demo    a scripted tour of s3sso against throwaway local servers (MinIO, SSO emulator, Dex)
#   make demo-ui the web UI against throwaway local servers: a signed-in account, sample buckets
#   make bench   benchmarks against peer clients (bench/run; BENCH_FLAGS=-rounds 5)
#   make bench-mount  the mount benchmark: s3sso mount beside rclone mount
#                (bench/run -mount; BENCH_FLAGS=-rounds 3)
#   make bench-ui  web UI benchmarks in headless Chromium (bench/run-ui; BENCH_UI_FLAGS)
#   make clean   remove build outputs
#
# Tools are built from the Go module proxy by scripts/tools.sh and cached in
# S3SSO_TOOLS_DIR (default ~/.cache/s3sso/tools), so only the first run is slow.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:

GO ?= go
BIN := bin
export S3SSO_TOOLS_DIR ?= $(HOME)/.cache/s3sso/tools

VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := -X github.com/s3sso/s3sso/internal/buildinfo.Version=$(VERSION)

.PHONY: build tools lint test fuzz demo demo-ui bench bench-mount bench-ui clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/s3sso ./cmd/s3sso

# Pinned tools the tests and lint need (see scripts/tools.sh), and Debian
# packages (scripts/apt.sh: quiet and quick when already installed).
TOOLS := minio golangci-lint dex
APT_PACKAGES := awscli keyring fuse chromium disk

tools:
	@scripts/tools.sh $(TOOLS) >/dev/null
	@scripts/apt.sh $(APT_PACKAGES)

lint: tools
	@echo "gofmt -l ."; \
	unformatted=$$(gofmt -l .); \
	if [[ -n "$$unformatted" ]]; then echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@# s3sso (CLI, web UI, and the mount on macOS) builds for every OS; its
	@# tests and benchmarks vet there too (the Linux-only ones are tagged).
	for os in darwin windows; do echo "GOOS=$$os go vet ./..."; GOOS=$$os $(GO) vet ./... || exit 1; done
	$(S3SSO_TOOLS_DIR)/golangci-lint run ./...

# The raw event stream is kept in bin/test.json; testsummary prints each
# package's ok/FAIL line, the output of failed tests and skip reasons as they
# come, then "N passed, N failed, N skipped". After the tests every fuzz
# target runs for TEST_FUZZTIME with one worker (scripts/fuzz.sh, its events
# go to the same summary, its report to stderr); TEST_FUZZTIME=0 skips that.
TEST_FUZZTIME ?= 4s
test: tools lint
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/testsummary ./internal/testenv/cmd/testsummary
	{ S3SSO_TEST_DISALLOW_SKIP=1 $(GO) test -race -count=1 -json ./... </dev/null || true; \
	  if [[ "$(TEST_FUZZTIME)" != 0 ]]; then \
	    FUZZTIME=$(TEST_FUZZTIME) FUZZ_PARALLEL=1 FUZZ_JSON=1 GO=$(GO) scripts/fuzz.sh; fi; } \
		| tee $(BIN)/test.json | $(BIN)/testsummary

# Long fuzzing: FUZZTIME per target (a duration, or Nx runs), FUZZ_PARALLEL
# workers (default: one per CPU), FUZZ_MATCH to pick targets by name.
FUZZTIME ?= 2m
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

demo:
	scripts/demo.sh

demo-ui:
	scripts/demo-ui.sh

bench:
	bench/run $(BENCH_FLAGS)

bench-mount:
	bench/run -mount $(BENCH_FLAGS)

bench-ui:
	bench/run-ui $(BENCH_UI_FLAGS)

clean:
	rm -rf $(BIN)
