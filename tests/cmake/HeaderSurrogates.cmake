# distill_header_surrogates(TARGET <name> HEADERS <paths relative to include/> EXTENSION <.cpp|.cu>
#                           LINK <targets>)
# An object library with one translation unit per header that includes it twice: each public
# header compiles on its own, and its include guard works.
function(distill_header_surrogates)
  cmake_parse_arguments(ARG "" "TARGET;EXTENSION" "HEADERS;LINK" ${ARGN})
  set(sources)
  foreach(header IN LISTS ARG_HEADERS)
    string(MAKE_C_IDENTIFIER ${header} id)
    set(surrogate ${CMAKE_CURRENT_BINARY_DIR}/surrogates/${id}${ARG_EXTENSION})
    file(GENERATE OUTPUT ${surrogate} CONTENT "#include <${header}>\n#include <${header}>\n")
    list(APPEND sources ${surrogate})
  endforeach()
  add_library(${ARG_TARGET} OBJECT ${sources})
  target_link_libraries(${ARG_TARGET} PRIVATE ${ARG_LINK})
endfunction()
