# signdeck — see README.md. `make demo` and `make test` are all a newcomer needs.
GO      ?= go
BIN     ?= ./signdeck
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/signdeck/signdeck/cli.Version=$(VERSION)
PKGS    := ./...

.PHONY: all build demo test race bench lint ci e2e fuzz fuzz-ci clean man release-snapshot release-check

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

## demo: the full TUI on an embedded sandbox (local emulators, in-memory keyring).
demo: build
	$(BIN) demo

## test: every unit, contract and TUI test (real-keyring and spec tests skip
## with a message when their prerequisites are absent).
test:
	$(GO) test -count=1 $(PKGS)

## race: the same with the race detector.
race:
	$(GO) test -race -count=1 $(PKGS)

## bench: speed and memory goals (100,000-session table and friends). The
## output is kept in bench.out; the run ends with the RESULT lines of the
## goals (scripts/bench-results.sh). BENCH narrows the benchmarks. One
## package at a time (-p 1): timings taken side by side measure each other.
BENCH ?= .
bench:
	@rc=0; $(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchmem -timeout 60m $(PKGS) >bench.out 2>&1 || rc=$$?; \
	cat bench.out; scripts/bench-results.sh bench.out; exit $$rc

## lint: gofmt check and go vet.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: run every fuzz target (each func Fuzz* in a _test.go file, found
## anew each time) for FUZZTIME (default 10s) after its committed seed
## corpus (testdata/fuzz/<target>). `make fuzz FUZZTIME=2m` to dig deeper;
## FUZZFLAGS passes more flags (e.g. FUZZFLAGS=-parallel=1).
FUZZTIME  ?= 10s
FUZZFLAGS ?=
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZFLAGS="$(FUZZFLAGS)" scripts/fuzz.sh

## e2e: drive the real binary through the demo in tmux.
e2e: build
	scripts/e2e-tmux.sh $(BIN)

## ci: what .ci/run calls (inside scripts/with-secret-service.sh, with
## SIGNDECK_REQUIRE_KEYRING=1 and SIGNDECK_REQUIRE_SPEC=1 set).
ci: lint race e2e fuzz-ci release-check

## fuzz-ci: every fuzz target for about 10 s each (part of make ci).
fuzz-ci:
	$(MAKE) fuzz FUZZTIME=10s

## man: man pages from the command tree (and shell completions) into build/.
man:
	$(GO) run ./packaging/gendocs -out build

# goreleaser, pinned and fetched through the Go module proxy (built once,
# then cached by the Go build cache).
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1

## release-snapshot: every archive, .deb, .rpm, checksum and the Homebrew
## cask into dist/, locally, publishing nothing.
release-snapshot:
	$(GORELEASER) release --snapshot --clean --skip=publish

## release-check: validate .goreleaser.yaml (CI).
release-check:
	$(GORELEASER) check

clean:
	rm -f $(BIN)
	rm -rf build dist
