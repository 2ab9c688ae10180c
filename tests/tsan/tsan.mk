# The ThreadSanitizer build (tests/tsan/run.sh, make tsan): the whole
# program again with -fsanitize=thread, so that multi-threaded replays and
# the soak, with frees by other threads, are checked for data races:
# build/tsan/xheap and build/tsan/soak. gcc's runtime is libtsan2; the
# objects live in build/tsan/obj/, apart from the others.
#
# The objects follow LIB_OBJ, which fragments extend (the TOML shim is C++):
# second expansion reads it once every fragment has been read.
TSAN_FLAGS    := -fsanitize=thread -fno-omit-frame-pointer
TSAN_XHEAP    := $(BUILD)/tsan/xheap
TSAN_SOAK     := $(BUILD)/tsan/soak
TSAN_LIB_OBJ   = $(patsubst $(BUILD)/obj/%,$(BUILD)/tsan/obj/%,$(LIB_OBJ))
TSAN_CXXFLAGS := -std=c++17 -O1 $(CFLAGS) -I. -MMD -MP $(TSAN_FLAGS)

DEPS_TEST  += libtsan2
TEST_EXTRA += $(TSAN_XHEAP) $(TSAN_SOAK)

$(BUILD)/tsan/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -O1 $(TSAN_FLAGS) -c $< -o $@

$(BUILD)/tsan/obj/%.o: %.cc | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(TSAN_CXXFLAGS) -c $< -o $@

.SECONDEXPANSION:
$(TSAN_XHEAP): $(BUILD)/tsan/obj/drivers/cli/xheap.o $$(TSAN_LIB_OBJ) | $(DEPS_TEST_STAMP)
	$(CC) $(XCFLAGS) -O1 $(TSAN_FLAGS) -o $@ $^ $(LDLIBS)

$(TSAN_SOAK): $(BUILD)/tsan/obj/tests/soak.o $$(TSAN_LIB_OBJ) | $(DEPS_TEST_STAMP)
	$(CC) $(XCFLAGS) -O1 $(TSAN_FLAGS) -o $@ $^ $(LDLIBS)

.PHONY: tsan
tsan: $(TSAN_XHEAP) $(TSAN_SOAK) $(BUILD)/xheap
	@tests/tsan/run.sh
