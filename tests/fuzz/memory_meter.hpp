#pragma once
// The fuzz targets' memory limit: the heap that one input may make live at once is a small multiple of
// its size (memory_budget). Both the libFuzzer mains (fuzz_main.cpp) and the replay test (replay.cpp)
// measure each input's peak with this meter: through the sanitizer allocator's hooks when built with
// ASan, else by replacing the global operator new/delete (in the one TU that defines
// GRAFT_FUZZ_METER_IMPLEMENTATION). Memory mapped from a file is not heap and is not counted.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace graft_fuzz::meter {

/// One input's budget: 64 times its size plus 64 MiB (the unpickler's default budget, a bound every
/// reader keeps: unpickle_options::memory_factor and memory_floor).
inline std::size_t memory_budget(std::size_t input_size) { return 64 * input_size + (std::size_t{64} << 20); }

inline std::atomic<std::int64_t> live{0};   ///< heap bytes live now
inline std::atomic<std::int64_t> peak{0};   ///< the most live since start()
inline std::atomic<bool> installed{false};  ///< the meter sees allocations (set by the implementation)

inline void allocated(std::size_t n) {
  const std::int64_t now =
      live.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed) + static_cast<std::int64_t>(n);
  std::int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}
inline void freed(std::size_t n) { live.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed); }

/// Starts measuring one input; returns the live bytes now (its base).
inline std::int64_t start() {
  const std::int64_t base = live.load();
  peak.store(base);
  return base;
}
/// The most heap bytes the input made live above `base`.
inline std::size_t peak_above(std::int64_t base) {
  const std::int64_t p = peak.load() - base;
  return p > 0 ? static_cast<std::size_t>(p) : 0;
}

}  // namespace graft_fuzz::meter

#ifdef GRAFT_FUZZ_METER_IMPLEMENTATION
#if defined(__SANITIZE_ADDRESS__)
#define GRAFT_FUZZ_METER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAFT_FUZZ_METER_ASAN 1
#endif
#endif

#ifdef GRAFT_FUZZ_METER_ASAN
// The sanitizer allocator's API (<sanitizer/allocator_interface.h>, which GCC does not ship).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
extern "C" std::size_t __sanitizer_get_allocated_size(const volatile void* p);

namespace graft_fuzz::meter::detail {
inline void on_malloc(const volatile void*, std::size_t n) { allocated(n); }
inline void on_free(const volatile void* p) {
  if (p != nullptr) freed(__sanitizer_get_allocated_size(p));
}
inline const bool hooks_installed = [] {
  installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free) != 0;
  return installed.load();
}();
}  // namespace graft_fuzz::meter::detail
#else
#include <malloc.h>
#include <cstdlib>
#include <new>

namespace graft_fuzz::meter::detail {
inline void* counted(std::size_t n, std::size_t align = 0) {
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                              : std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) allocated(::malloc_usable_size(p));
  return p;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // operator new below allocates with malloc
#endif
inline void uncounted(void* p) noexcept {
  if (p == nullptr) return;
  freed(::malloc_usable_size(p));
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
inline const bool replaced = (installed = true);
}  // namespace graft_fuzz::meter::detail

void* operator new(std::size_t n) {
  if (void* p = graft_fuzz::meter::detail::counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return graft_fuzz::meter::detail::counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return graft_fuzz::meter::detail::counted(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = graft_fuzz::meter::detail::counted(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete[](void* p) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete(void* p, std::align_val_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete[](void* p, std::align_val_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { graft_fuzz::meter::detail::uncounted(p); }
#endif
#endif
