# nova-ve — top-level entry points. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all build test test-deps lint fmt clippy nextest test-leftovers sandbox-shell bench demo demo-stop clean

all: build

build:
	$(CARGO) build --workspace --bins

# Installs (idempotently) what the tests need from Debian packages, then runs the whole suite
# and checks that no test sandbox (state dir, cgroup, process) was left behind.
test: test-deps lint nextest test-leftovers

test-deps:
	scripts/install-test-deps

lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The binaries first: sandboxes put target/debug/{nova-ve-*,novactl} into /usr/libexec/nova-ve.
# Settings (parallelism, timeouts): .config/nextest.toml. One test: see docs/testing.md.
nextest:
	$(CARGO) build --workspace --bins
	$(CARGO) nextest run --workspace --no-fail-fast

test-leftovers:
	$(CARGO) run -q -p nova-test-sandbox --bin nova-sandbox -- leftovers

# A root shell in a fresh test sandbox (real systemd, dbus, polkit; torn down on exit).
sandbox-shell:
	scripts/sandbox shell

clean:
	$(CARGO) clean

# The demo: netd + labd as systemd units (in a sandbox sharing the host's network on hosts whose
# PID 1 is not systemd) with demo/demo-lab.json running. See scripts/demo, docs/novactl.md.
demo:
	scripts/demo start

demo-stop:
	scripts/demo stop
