# The two commands a newcomer runs (see README.md):
#   make run    install what is missing, build, run the demo walk-through on ./recall-data
#   make test   install what is missing, build, run every test through CTest
BUILD ?= build
JOBS  ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all deps configure build test run bench fuzz sanitize clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

run: build
	@scripts/demo

bench: build
	@scripts/bench

# libFuzzer targets (clang-14); FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(BUILD)-fuzz -G Ninja -DRECALL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD)-fuzz -j $(JOBS) --target csv_fuzz classifier_fuzz scanner_fuzz template_fuzz kannel_callbacks_fuzz twilio_callbacks_fuzz rvm_callbacks_fuzz certificate_fuzz
	@scripts/fuzz $(BUILD)-fuzz $(FUZZ_SECONDS)

# ASan + UBSan build and tests.
sanitize: deps
	@cmake -S . -B $(BUILD)-asan -G Ninja -DRECALL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug > /dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz $(BUILD)-asan
