# The replay driver: hwloc pins the replay threads and flush peers.
DEPS_BUILD += libhwloc-dev
LDLIBS     += -lhwloc
