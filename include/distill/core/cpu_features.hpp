#ifndef DISTILL_CORE_CPU_FEATURES_HPP
#define DISTILL_CORE_CPU_FEATURES_HPP

#include <cstdio>
#include <string>

namespace distill {

/// Widest vector instruction set Eigen's kernels can use, as a width in bits: 512 (AVX-512F),
/// 256 (AVX2 with FMA: what Eigen's GEMM needs to use 256-bit registers fully), 128 (SSE2,
/// x86-64's baseline), 0 (not x86 or unknown).
enum class VectorIsa { kUnknown = 0, kSse2 = 128, kAvx2 = 256, kAvx512 = 512 };

inline const char* vector_isa_name(VectorIsa isa) {
  switch (isa) {
    case VectorIsa::kAvx512: return "AVX-512";
    case VectorIsa::kAvx2: return "AVX2+FMA";
    case VectorIsa::kSse2: return "SSE2";
    default: return "unknown";
  }
}

/// What this translation unit was compiled for: Eigen picks its vector code at compile time,
/// so this, not the processor, decides its speed.
inline VectorIsa compiled_vector_isa() {
#if defined(__AVX512F__)
  return VectorIsa::kAvx512;
#elif defined(__AVX2__) && defined(__FMA__)
  return VectorIsa::kAvx2;
#elif defined(__SSE2__) || defined(__x86_64__)
  return VectorIsa::kSse2;
#else
  return VectorIsa::kUnknown;
#endif
}

/// What the processor running the program supports.
inline VectorIsa processor_vector_isa() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return VectorIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return VectorIsa::kAvx2;
  return VectorIsa::kSse2;
#else
  return VectorIsa::kUnknown;
#endif
}

/// One line telling the user that the binary leaves vector width unused, or "" when it does
/// not (or when either side is unknown).
inline std::string narrow_build_advice(VectorIsa compiled, VectorIsa processor) {
  if (compiled == VectorIsa::kUnknown || processor == VectorIsa::kUnknown ||
      static_cast<int>(processor) <= static_cast<int>(compiled))
    return {};
  return std::string("note: this processor has ") + vector_isa_name(processor) +
         " but the program was compiled for " + vector_isa_name(compiled) +
         "; convolutions run up to " +
         std::to_string(static_cast<int>(processor) / static_cast<int>(compiled)) +
         "x slower than a build with -march=native (CMake: -DDISTILL_NATIVE=ON, the default of a "
         "top-level build)";
}

/// Prints narrow_build_advice for this program to stderr, once per process. Programs call it at
/// start-up; it is inline so that it reports the flags of the program that calls it.
inline void warn_if_narrow_build() {
  static const bool printed = [] {
    const std::string advice = narrow_build_advice(compiled_vector_isa(), processor_vector_isa());
    if (!advice.empty()) std::fprintf(stderr, "%s\n", advice.c_str());
    return true;
  }();
  (void)printed;
}

}  // namespace distill

#endif  // DISTILL_CORE_CPU_FEATURES_HPP
