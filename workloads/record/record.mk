# libxheap-record.so, the LD_PRELOAD half of `xheap record` (the other half
# is drivers/cli/cmd_record.c, in libxheap.a like every driver). Built without
# sanitizers and without builtins for the functions it replaces, so that the
# compiler never turns its own code into calls of them.
RECORD_SRC   := $(wildcard workloads/record/*.c)
RECORD_HDR   := $(wildcard workloads/record/*.h)
RECORD_LIB   := $(BUILD)/libxheap-record.so
RECORD_FLAGS := -std=gnu11 $(OPT) $(CFLAGS) $(WARN) -I. -D_GNU_SOURCE \
                -fPIC -shared -pthread -fvisibility=hidden \
                -ftls-model=initial-exec -fno-builtin-malloc \
                -fno-builtin-calloc -fno-builtin-realloc -fno-builtin-free

EXTRA_BINS += $(RECORD_LIB)
DEPS_BUILD += libc6-dev
# tests/test_record.c compiles a program with gcc and records sort and sh.
DEPS_TEST  += coreutils dash

$(RECORD_LIB): $(RECORD_SRC) $(RECORD_HDR) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(RECORD_FLAGS) -o $@ $(RECORD_SRC) -ldl
