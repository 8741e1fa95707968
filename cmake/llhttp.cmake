# llhttp, the HTTP/1.1 parser, from the C sources Debian's node-llhttp package ships (there is
# no shared-library package). Built as a static library with the compiler's defaults; our own
# warning flags are not applied to code we do not own.
find_path(LLHTTP_INCLUDE_DIR llhttp.h PATHS /usr/share/include/llhttp /usr/include/llhttp REQUIRED)
find_path(LLHTTP_SOURCE_DIR llhttp.c PATHS /usr/share/llhttp REQUIRED)
add_library(llhttp STATIC
  ${LLHTTP_SOURCE_DIR}/api.c
  ${LLHTTP_SOURCE_DIR}/http.c
  ${LLHTTP_SOURCE_DIR}/llhttp.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
target_compile_options(llhttp PRIVATE -w)
# Strict: no leniency anywhere (a head ending in anything but CRLF CRLF, a bare CR, chunk data
# not followed by CRLF are errors). PUBLIC, so that every file including llhttp.h agrees.
target_compile_definitions(llhttp PUBLIC LLHTTP_STRICT_MODE=1)
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON)
