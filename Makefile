# stemflow — build, test, lint, benchmark.
GO ?= go
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short lint fmt vet staticcheck bench bench-oneshot bench-data examples clean

all: build test

build:
	@mkdir -p bin
	@if [ -d cmd/stemflow ] && ls cmd/stemflow/*.go >/dev/null 2>&1; then $(GO) build -o bin/stemflow ./cmd/stemflow; fi
	@# the embedded NATS server (`stemflow server` runs bin/stemflow-server, next to bin/stemflow)
	$(GO) build -o bin/stemflow-server ./cmd/stemflow-server

test:
	$(GO) test -race ./...

test-short:
	$(GO) test -short ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# bench runs every go benchmark in the module, then the bench/ harness when present.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@if [ -f bench/run.sh ]; then bash bench/run.sh; fi

# bench-oneshot times whole `stemflow run` processes against a plain pread-and-sum
# program on the same file (bench/oneshot.sh; N, IO, CASES in the environment).
bench-oneshot:
	bash bench/oneshot.sh

# examples builds and runs every runnable example on the synthetic sample.
examples:
	@for d in examples/*/; do echo "+ go run ./$$d"; $(GO) run "./$$d" >/dev/null || exit 1; done

clean:
	rm -rf bin bench/data
