# distill_prebuilt_library(TARGET <name> HEADER <include path> HEADER_PATH <file> MACRO <name>
#                          COUNT_MACRO <name> LINK <targets>)
# A static library of explicit instantiations. HEADER declares its specialisations in numbered
# groups (see include/distill/prebuilt.hpp) and their number on a `#define <COUNT_MACRO> <n>`
# line, read here from HEADER_PATH. One translation unit per group defines MACRO to the
# group's number and includes HEADER, so the groups compile in parallel. LINK is linked
# privately; the caller adds what users of the library need.
function(distill_prebuilt_library)
  cmake_parse_arguments(ARG "" "TARGET;HEADER;HEADER_PATH;MACRO;COUNT_MACRO" "LINK" ${ARGN})
  file(STRINGS ${ARG_HEADER_PATH} count_line REGEX "^#define ${ARG_COUNT_MACRO} [0-9]+$")
  if(NOT count_line)
    message(FATAL_ERROR "${ARG_HEADER_PATH}: no '#define ${ARG_COUNT_MACRO} <n>' line")
  endif()
  string(REGEX REPLACE "^#define ${ARG_COUNT_MACRO} " "" count "${count_line}")
  set(sources)
  foreach(group RANGE 1 ${count})
    set(source ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}/group${group}.cpp)
    file(GENERATE OUTPUT ${source} CONTENT "#define ${ARG_MACRO} ${group}\n#include \"${ARG_HEADER}\"\n")
    list(APPEND sources ${source})
  endforeach()
  add_library(${ARG_TARGET} STATIC EXCLUDE_FROM_ALL ${sources})
  target_link_libraries(${ARG_TARGET} PRIVATE ${ARG_LINK})
endfunction()
