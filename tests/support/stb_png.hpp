#ifndef DISTILL_TESTS_SUPPORT_STB_PNG_HPP
#define DISTILL_TESTS_SUPPORT_STB_PNG_HPP

// stb_image's PNG decoder, so the PNG tests see the written pixels, not only the header. Static
// functions: every test file that includes this gets its own copy, and none clash at link time.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif
