# libFuzzer targets (tests/fuzz/fuzz_*.c, docs/fuzzing.md): the trace
# reader, the mtrace importer, the bench.toml loader and the replay of
# decoded traces against every model backend with the model checker on.
#
#   make fuzz                  every target for FUZZ_SECONDS (60) each
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="replay config"
#   make fuzz-build            only build them (make test does, TEST_EXTRA)
#
# The library is compiled again with clang, libFuzzer's coverage hooks,
# AddressSanitizer and UBSan, into $(BUILD)/fuzz/obj/: gcc's objects carry no
# coverage. The runs grow $(BUILD)/fuzz/corpus/<target>/ from the seeds in
# tests/fuzz/corpus/<target>/ and write crashes under
# $(BUILD)/fuzz/artifacts/<target>/; tests/fuzz/run.sh does the running.
FUZZ_NAMES   := trace mtrace config replay
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_NAMES)

FUZZ_CC      := clang
FUZZ_CXX     := clang++
# -O1 keeps the sanitizers' reports readable and the runs fast enough;
# ubsan.ignore names the checks left out, and why.
FUZZ_IGNORE  := tests/fuzz/ubsan.ignore
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fsanitize-ignorelist=$(FUZZ_IGNORE) \
                -fno-omit-frame-pointer -g -O1
FUZZ_CFLAGS  := -std=gnu11 $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(WARN) \
                -pthread -I. -D_GNU_SOURCE -MMD -MP
FUZZ_CXXFLAGS := -std=c++17 $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                 $(filter-out -Wstrict-prototypes,$(WARN)) -I. -MMD -MP

# Every library source, the TOML shim's C++ included (fuzz_config needs it).
FUZZ_LIB_SRC := $(LIB_SRC) $(wildcard drivers/suite/toml/*.cc)
FUZZ_LIB_OBJ := $(addsuffix .o,$(basename $(FUZZ_LIB_SRC:%=$(FUZZ_DIR)/obj/%)))
FUZZ_LIB     := $(FUZZ_DIR)/libxheap-fuzz.a

DEPS_TEST  += clang libclang-rt-14-dev
TEST_EXTRA += $(FUZZ_BINS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@BUILD=$(BUILD) FUZZ_NO_BUILD=1 FUZZ_CORPUS=work \
	    tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_IGNORE) | $(DEPS_TEST_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: %.cc $(FUZZ_IGNORE) | $(DEPS_TEST_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Linked by clang++: the TOML shim needs the C++ runtime.
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CXX) $(FUZZ_SAN) -fsanitize=fuzzer -pthread -o $@ $< \
	    $(FUZZ_LIB) $(LDLIBS)
