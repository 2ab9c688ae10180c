# The soak (tests/soak.c): threads sharing one model heap for a long time,
# checked while the world is stopped and at the end of every round.
#   make soak                   ten minutes (SOAK_SECONDS=N: another length)
# `make test` runs a short one through tests/soak.sh.
#
# And valgrind for tests/valgrind.sh: memcheck on `xheap replay` of a small
# trace for every backend (make valgrind).
SOAK_BIN     := $(BUILD)/soak
SOAK_SECONDS ?= 600

DEPS_TEST  += valgrind
TEST_EXTRA += $(SOAK_BIN)

$(SOAK_BIN): tests/soak.c $(LIB) | $(DEPS_TEST_STAMP)
	$(CC) $(XCFLAGS) -o $@ tests/soak.c $(LIB) $(LDLIBS)

.PHONY: soak valgrind
soak: $(SOAK_BIN)
	@tests/soak.sh $(SOAK_SECONDS)

valgrind: $(BUILD)/xheap | $(DEPS_TEST_STAMP)
	@tests/valgrind.sh
