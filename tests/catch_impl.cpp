// Catch2's implementation (its slowest header), compiled once for every test program. Its
// Session is declared only here, so each program's main (tests/main.cpp, tests/cuda/main.cpp)
// runs the tests through run_catch.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/run_catch.hpp"

int distill::test::run_catch(int argc, char** argv) { return Catch::Session().run(argc, argv); }
