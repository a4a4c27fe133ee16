# Preflight: `make sim` runs the demo day on the embedded broker, `make test` runs every test.
# Every target installs what it needs from the lockfile first.

NODE_MODULES := node_modules/.package-lock.json
BUNDLE := dist/device/agent.js
HOST := dist/host/preflight.mjs
SRC := $(shell find src device host-sim -name '*.ts' -o -name '*.js' -o -name '*.mjs' 2>/dev/null)
CORE := $(shell find src/core -name '*.ts' 2>/dev/null)
SCENARIO ?= host-sim/scenarios/day-at-a-shop.json
SIM_DATA ?= .sim-data/T-0001

.PHONY: all build device host check test sim bench size clean soak fuzz chromium brokers postgres

all: build

# `npm install` against the committed lock (exact pins). Not `npm ci`: the npm 11 on these machines
# writes a lock without cbor-x's optional platform packages and then refuses it in `npm ci`.
$(NODE_MODULES): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

# The shipped bundle depends on the portable core alone.
$(BUNDLE): $(NODE_MODULES) $(CORE) device/build.mjs
	node device/build.mjs

$(HOST): $(NODE_MODULES) $(SRC)
	node device/build-host.mjs

device: $(BUNDLE)
host: $(HOST)
build: device host

# Type-check the portable core (no Node, no DOM types) and the host side; then the house rules:
# the core is pure and every import points down (cli -> host-sim -> fleet|device -> node -> core).
check: $(NODE_MODULES)
	npx tsc -p src/core/tsconfig.json
	npx tsc -p tsconfig.json
	node test/check-layers.mjs

test: build check size chromium brokers postgres
	npx vitest run

# Tests start their own Mosquitto and NATS processes on free loopback ports (never 1883/4222);
# this kind of machine ships both, and a bare one gets them from Debian.
brokers:
	@command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto)
	@command -v nats-server >/dev/null 2>&1 || test -x /usr/sbin/nats-server || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server)

# The PostgreSQL store's tests (SPEC §7) start their own server from Debian's binaries (initdb, pg_ctl
# on a free loopback port, never the system's 5432); a bare machine gets them here.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# Debian's Chromium renders the HTML report in a test (issue 10), and fonts-noto-cjk draws its Chinese
# as glyphs rather than boxes (issue 17); both installed here on a fresh machine.
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)
	@test -n "$$(fc-list :lang=zh family 2>/dev/null)" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk)

sim: build
	rm -rf $(SIM_DATA) $(SIM_DATA).fleet $(SIM_DATA)-report.html
	node bin/preflight.js sim run $(SCENARIO) --data $(SIM_DATA) --broker embedded
	node bin/preflight.js doctor --data $(SIM_DATA) || true

dist/bench/agent-bench.js: $(NODE_MODULES) $(CORE) bench/agent-bench.ts device/build.mjs
	node device/build.mjs --bench

bench: build brokers dist/bench/agent-bench.js
	npx esbuild bench/run.ts --bundle --platform=node --format=esm --target=node20 --packages=external --outfile=dist/bench/run.mjs --log-level=warning
	node dist/bench/run.mjs

size: build
	npx esbuild bench/size-check.ts --bundle --platform=node --format=esm --target=node20 --packages=external --outfile=dist/size/size-check.mjs --log-level=warning
	node dist/size/size-check.mjs

# Long runs, not in CI: a simulated month with random faults; the fuzz doors at 20x.
soak: build
	npx vitest run --config test/soak/vitest.config.ts

fuzz: build
	FUZZ_SCALE=20 npx vitest run test/fuzz

clean:
	rm -rf dist .sim-data
