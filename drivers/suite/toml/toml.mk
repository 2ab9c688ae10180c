# The TOML reader behind drivers/suite/config_*.c: toml++ (C++17, header
# only, compiled once, in toml_shim.cc) behind a C API. The object joins
# libxheap.a and its sanitizer twin.
TOML_OBJ := drivers/suite/toml/toml_shim.o
LIB_OBJ  += $(TOML_OBJ:%=$(BUILD)/obj/%)
SAN_OBJ  += $(TOML_OBJ:%=$(BUILD)/san/%)

DEPS_BUILD += g++ libtomlplusplus-dev
LDLIBS     += -lstdc++

CXX          ?= g++
TOML_CXXFLAGS = -std=c++17 $(OPT) $(CFLAGS) $(filter-out -Wstrict-prototypes,$(WARN)) -I. -MMD -MP

$(BUILD)/obj/drivers/suite/toml/%.o: drivers/suite/toml/%.cc | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(TOML_CXXFLAGS) -c $< -o $@

$(BUILD)/san/drivers/suite/toml/%.o: drivers/suite/toml/%.cc | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(TOML_CXXFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

# The loader again under AddressSanitizer and UBSan: it parses untrusted
# text, and test_config feeds it hundreds of mutated files.
TEST_EXTRA += $(BUILD)/tests/san/test_config
