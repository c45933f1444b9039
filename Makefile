# The two commands of the README. Both install what is missing first
# (scripts/setup.sh, quiet when nothing is) and are safe to repeat.

GO ?= go
# Busy-waiting OpenMP threads slow libtorch badly on a small, shared
# machine (gotch.md measured 2.4x on a GAN epoch).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: all setup build demo test vet bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@$(GO) build -o bin/pipe ./cmd/pipe

demo: build
	bin/pipe run experiments/fashion-gan.yaml

test: setup
	@$(GO) vet ./...
	@$(GO) test ./...

clean:
	rm -rf bin build .pipe
