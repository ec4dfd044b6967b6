# nova-ve — top-level entry points. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all build test test-deps lint fmt clippy nextest test-leftovers sandbox-shell bench bench-labd bench-netd demo demo-stop clean frontend frontend-check

all: build

build:
	$(CARGO) build --workspace --bins

# Installs (idempotently) what the tests need from Debian packages, then runs the whole suite
# and checks that no test sandbox (state dir, cgroup, process) was left behind.
test: test-deps lint frontend-check nextest test-leftovers

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

# The web app: npm ci from the lock file, svelte-check + eslint + prettier, vitest, vite build.
frontend-check:
	scripts/frontend check

# The web app, built into frontend/dist (the gateway serves it).
frontend:
	scripts/frontend build

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
	scripts/install-test-deps --runtime
	scripts/frontend build
	scripts/demo start

demo-stop:
	scripts/demo stop

# labd bench: start/stop of a 100-node linux lab with 150 links vs Mininet, in a sandbox.
# Installs Debian's mininet (idempotently) first; release binaries go into the sandbox.
bench: bench-labd bench-netd

bench-labd:
	@dpkg-query -W -f='$${Status}' mininet 2>/dev/null | grep -q "install ok installed" || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mininet; }
	$(CARGO) build --release -p nova-ve-netd -p nova-ve-labd -p novactl
	$(CARGO) bench -p novactl --bench lab_start

# netd bench: bridge+TAP create/attach/delete via D-Bus netd (in a sandbox) vs in-process
# rtnetlink vs `ip` shell-outs, per operation, with ratios.
# The baseline the issue names is `sudo -n ip …`, so sudo is installed for the bench (only there:
# nova-ve itself never uses sudo).
bench-netd:
	@dpkg-query -W -f='$${Status}' sudo 2>/dev/null | grep -q "install ok installed" || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sudo; }
	$(CARGO) build --release -p nova-ve-netd
	$(CARGO) bench -p nova-ve-netd --bench netd

# Gateway bench: reads of a 50-node lab (wrk) beside labd's D-Bus read, event fan-out to 1000
# WebSockets, RSS of the three daemons idle and with 100 running nodes; figures in docs/gateway.md.
.PHONY: bench-gateway
bench-gateway:
	@dpkg-query -W -f='$${Status}' wrk 2>/dev/null | grep -q "install ok installed" || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
	$(CARGO) build --release -p nova-ve-netd -p nova-ve-labd -p nova-ve-gateway
	$(CARGO) bench -p nova-ve-gateway --bench gateway

# labd engine bench: StartAll/StopAll of a 100-node linux lab with 150 links in a sandbox
# (LABD_BENCH_NODES=n for another size). docs/labd.md has the figures.
.PHONY: bench-labd-engine
bench-labd-engine:
	$(CARGO) build --release -p nova-ve-netd -p nova-ve-labd
	$(CARGO) bench -p nova-ve-labd --bench start_stop
