# The TOML reader behind drivers/config_*.c: cpptoml (C++, header only) behind
# a C API, and the scanner that gives each key its line (cpptoml keeps none).
# Both objects join libxheap.a and its sanitizer twin.
TOML_OBJ := drivers/suite/toml/toml_shim.o drivers/suite/toml/toml_lines.o
LIB_OBJ  += $(TOML_OBJ:%=$(BUILD)/obj/%)
SAN_OBJ  += $(TOML_OBJ:%=$(BUILD)/san/%)

DEPS_BUILD += g++ libcpptoml-dev
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
