#ifndef DISTILL_TESTS_SUPPORT_RUN_CATCH_HPP
#define DISTILL_TESTS_SUPPORT_RUN_CATCH_HPP

// The test programs' entry into Catch2, defined once in tests/catch_impl.cpp.

namespace distill::test {

/// Runs the registered tests with the command line's arguments; returns the exit code.
int run_catch(int argc, char** argv);

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_RUN_CATCH_HPP
