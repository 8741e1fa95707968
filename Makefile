# The two commands: `make run` starts the demo, `make test` runs every test suite.
.PHONY: deps build run test test-release test-asan test-fuzz fuzz bench format clean

JOBS ?= 2

deps:
	@scripts/install-deps

build: deps
	cmake --preset release
	cmake --build --preset release -j$(JOBS)

run: build
	build/sluice demo

test: test-release test-asan test-fuzz

test-release: build
	ctest --preset release

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan

# The libFuzzer targets (clang, ASan + UBSan), each run briefly over its corpus.
test-fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j$(JOBS)
	ctest --preset fuzz

# The same targets for longer: `make fuzz FUZZ_SECONDS=600` (two at a time, one per core).
FUZZ_SECONDS ?= 600
fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j$(JOBS)
	SLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --preset fuzz

# Side-by-side measurements (see bench/README.md); results land in bench/results/.
bench: build
	bench/floors.sh 3
	build/bench/tcp_throughput 1 3
	bench/passthrough.sh 5 3
	bench/proxies.sh 4 3
	bench/rules.sh 4 3
	bench/failover.sh 9
	bench/memory.sh 5000 3
	bench/micro.sh 0.5

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-debug build-asan build-fuzz
