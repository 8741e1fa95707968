# The two commands: `make run` starts the demo, `make test` runs every test suite.
.PHONY: deps build run test test-release test-asan bench format clean

JOBS ?= 2

deps:
	@scripts/install-deps

build: deps
	cmake --preset release
	cmake --build --preset release -j$(JOBS)

run: build
	build/sluice demo

test: test-release test-asan

test-release: build
	ctest --preset release

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan

bench: build
	@echo "make bench: the side-by-side benchmark suite arrives with its own issue; nothing to run yet." >&2
	@exit 1

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-debug build-asan
