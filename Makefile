# xheap-bench: Xen's allocators rebuilt in user space, measured side by side.
#
#   make          build build/xheap (installs missing Debian packages first)
#   make test     tests/run.sh: the layer check (tests/check_layers.sh),
#                 every tests/test_*.c program (unit tests, the model
#                 checker, the suite end to end), test_model_check and
#                 test_replay again under AddressSanitizer + UBSan, a short
#                 libFuzzer run of every fuzz target, a short soak, the
#                 ThreadSanitizer replay and valgrind on every backend;
#                 ends with "N passed, N failed"
#   make bench    the default suite into results/<time>-<host>/ (QUICK=1:
#                 the quick one)
#   make clean

.DEFAULT_GOAL := all
BUILD    := build
CC       := gcc
OPT      ?= -O2
CFLAGS   ?= -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
XCFLAGS  := -std=gnu11 $(OPT) $(CFLAGS) $(WARN) -pthread -I. -D_GNU_SOURCE -MMD -MP
LDLIBS   := -ljansson -lhwloc -lm -pthread

# Debian packages, installed by scripts/deps.sh when missing.
DEPS_BUILD := gcc make libjansson-dev libhwloc-dev pkg-config
DEPS_TEST   = $(DEPS_BUILD) libcmocka-dev
DEPS_STAMP := $(BUILD)/.deps-build
DEPS_TEST_STAMP := $(BUILD)/.deps-test

# drivers/ in rooms (architecture.md); gbench is a binary of its own.
DRIVER_ROOMS := measure report suite cli
LIB_SRC  := $(wildcard backends/*.c) $(wildcard workloads/*.c) \
            $(filter-out drivers/cli/xheap.c,$(wildcard $(DRIVER_ROOMS:%=drivers/%/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libxheap.a

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# The sanitizer build: the whole library again, with ASan and UBSan.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
SAN_OBJ  := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_LIB  := $(BUILD)/libxheap-san.a

# Parts with build rules of their own (a preload library, a C++ shim, ...)
# add to DEPS_BUILD, DEPS_TEST, LDLIBS, LIB_OBJ, EXTRA_BINS and TEST_EXTRA
# here.
EXTRA_BINS :=
TEST_EXTRA :=
FRAGMENTS  := $(sort $(wildcard */*.mk */*/*.mk */*/*/*.mk))
include $(FRAGMENTS)

.PHONY: all deps test bench clean check-replication
all: $(BUILD)/xheap $(EXTRA_BINS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh Makefile $(FRAGMENTS)
	@mkdir -p $(BUILD)
	@scripts/deps.sh $(DEPS_BUILD)
	@touch $@
$(DEPS_TEST_STAMP): scripts/deps.sh Makefile $(FRAGMENTS)
	@mkdir -p $(BUILD)
	@scripts/deps.sh $(DEPS_TEST)
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SAN_LIB): $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/xheap: $(BUILD)/obj/drivers/cli/xheap.o $(LIB)
	$(CC) $(XCFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/check.h $(LIB) | $(DEPS_TEST_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/san/%: tests/%.c tests/check.h $(SAN_LIB) | $(DEPS_TEST_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -O1 $(SAN_FLAGS) -o $@ $< $(SAN_LIB) $(LDLIBS) -lcmocka

SAN_TESTS := $(BUILD)/tests/san/test_model_check $(BUILD)/tests/san/test_replay

test: $(TEST_BIN) $(BUILD)/xheap $(EXTRA_BINS) $(SAN_TESTS) $(TEST_EXTRA)
	@tests/run.sh $(BUILD)

# Two runs of one revision must agree (tests/test_replication.c): the
# quick suite twice, or the full one with FULL=1. make test runs the same
# test on Q1's experiments only (no XHEAP_REPLICATION).
check-replication: $(BUILD)/tests/test_replication $(BUILD)/xheap
	XHEAP_REPLICATION=$(if $(FULL),full,quick) $(BUILD)/tests/test_replication

# make bench QUICK=1 runs the quick suite; BENCH=file another bench.toml.
BENCH ?= bench.toml
bench: all
	$(BUILD)/xheap run $(BENCH) $(if $(QUICK),--quick)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
