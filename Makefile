# The two commands: `make run` starts the demo, `make test` runs every test suite.
.PHONY: deps-run deps-test deps-test-js deps-bench build build-all run test test-release test-asan \
	check-layers fuzz bench format clean

JOBS ?= 2

# Each command installs only what it needs (scripts/install-deps: run, test or bench).
deps-run:
	@scripts/install-deps run
deps-test:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory deps-test-js
# The Node.js test tools (test/js: the OpenAPI validator), from the npm registry, as locked.
deps-test-js:
	@cd test/js && { [ node_modules/.package-lock.json -nt package-lock.json ] || \
	  npm ci --no-audit --no-fund --loglevel=error; }
deps-bench:
	@scripts/install-deps bench

# The binary alone (what `make run` needs), then everything with the tests and benchmarks.
build: deps-run
	cmake --preset release -DSLUICE_TESTS=OFF
	cmake --build --preset release -j$(JOBS) --target sluice

build-all: deps-test
	cmake --preset release -DSLUICE_TESTS=ON
	cmake --build --preset release -j$(JOBS)

run: build
	build/sluice demo

# Tiers (ctest labels): unit, integration, cluster (etcd), browser (the console in Chromium),
# fuzz. The release tree runs all but fuzz; the sanitizer tree (clang, ASan + UBSan) runs every
# C++ test again and each libFuzzer target briefly over its corpus.
test: check-layers test-release test-asan

# Every #include runs down the layer order of the design; scripts/check-layers names any that does not.
check-layers:
	@scripts/check-layers

test-release: build-all
	ctest --preset release

test-asan: deps-test
	cmake --preset asan
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan

# The fuzz targets for longer: `make fuzz FUZZ_SECONDS=600` (two at a time, one per core).
FUZZ_SECONDS ?= 600
fuzz: deps-test
	cmake --preset asan
	cmake --build --preset asan -j$(JOBS)
	SLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --preset asan -L fuzz

# Side-by-side measurements (see bench/README.md); results land in bench/results/.
bench: deps-bench build-all
	bench/floors.sh 3
	build/bench/tcp_throughput 1 3
	bench/passthrough.sh 5 3
	bench/proxies.sh 4 3
	bench/http2.sh 5 3 2000
	bench/rules.sh 4 3
	bench/failover.sh 9
	bench/reload.sh 20 10
	bench/apply.sh 20
	bench/memory.sh 5000 3
	bench/micro.sh 0.5

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-debug build-asan
