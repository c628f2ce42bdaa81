#ifndef DISTILL_TESTS_SUPPORT_STB_PNG_HPP
#define DISTILL_TESTS_SUPPORT_STB_PNG_HPP

// stb_image's PNG decoder, so the PNG tests see the written pixels, not only the header. Static
// functions: every test file that includes this gets its own copy, and none clash at link time.
// Where the library's image-folder reader (data/image_folder_impl.hpp) has compiled stb_image
// into this translation unit already, with PNG among its formats, that copy is used.
#ifndef STBI_INCLUDE_STB_IMAGE_H
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
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_STATIC
#endif

#endif
