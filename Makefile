# nova-ve — top-level entry points. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all build test test-deps lint fmt clippy nextest bench demo demo-stop clean

all: build

build:
	$(CARGO) build --workspace --bins

# Installs (idempotently) what the tests need from Debian packages, then runs the whole suite.
test: test-deps lint nextest

test-deps:
	scripts/install-test-deps

lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

nextest:
	$(CARGO) build --workspace --bins
	$(CARGO) nextest run --workspace --no-fail-fast

clean:
	$(CARGO) clean

# The demo: netd + labd as systemd units (in a sandbox sharing the host's network on hosts whose
# PID 1 is not systemd) with demo/demo-lab.json running. See scripts/demo, docs/novactl.md.
demo:
	scripts/demo start

demo-stop:
	scripts/demo stop
