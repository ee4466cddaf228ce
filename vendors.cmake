# The vendors, one folder each, and the one place outside those folders that
# names them (docs/adapters.md, "Adding a vendor"):
#   adapters/<vendor>/          <vendor>_adapter.hpp declares <vendor>_adapter::type();
#                               its CMakeLists.txt adds its sources to bg_adapters
#                               and declares its unit tests
#   tests/simulators/<vendor>/  <vendor>.hpp declares sim::make_<vendor>; its
#                               CMakeLists.txt defines sim_<vendor> and its tests
# The adapter registry (adapters/registry.cpp) and backup-sim's vendor table
# (tests/simulators/main.cpp) are generated from this list, and the build stops
# when a folder under adapters/ holds an adapter that is not listed here.
set(BG_VENDORS cpm backupdr veeam cloudbasic)
