#include "support/run_catch.hpp"

int main(int argc, char** argv) { return distill::test::run_catch(argc, argv); }
