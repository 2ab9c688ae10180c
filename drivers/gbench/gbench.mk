# xheap-gbench: the C microbenchmarks of drivers/gbench/*.c, registered with
# Google Benchmark by the one C++ file register.cc.
GBENCH_BIN := $(BUILD)/xheap-gbench
GBENCH_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard drivers/gbench/*.c)) \
              $(BUILD)/obj/drivers/gbench/register.o
CXX        ?= g++
GBENCH_CXXFLAGS := -std=c++17 $(OPT) $(CFLAGS) -Wall -Wextra -Wshadow \
                   -Wno-unused-parameter -pthread -I. -MMD -MP

DEPS_BUILD += g++ libbenchmark-dev
EXTRA_BINS += $(GBENCH_BIN)

$(BUILD)/obj/drivers/gbench/register.o: drivers/gbench/register.cc | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(GBENCH_CXXFLAGS) -c $< -o $@

$(GBENCH_BIN): $(GBENCH_OBJ) $(LIB)
	$(CXX) -pthread -o $@ $(GBENCH_OBJ) $(LIB) -lbenchmark -lpthread $(LDLIBS)
