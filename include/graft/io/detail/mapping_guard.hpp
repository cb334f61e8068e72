#pragma once
/// \file
/// The SIGBUS guard of mapped inputs. A file truncated while it is mapped (another process rewriting
/// it, as torch.save does) makes every access to its vanished pages raise SIGBUS. graft installs one
/// SIGBUS handler (once, at the first mapping) that, for an address inside a registered mapping,
/// replaces the rest of that mapping with zero pages and marks it faulted, so the access completes;
/// mapped_file::change() then reports the file as changed, and atomic_file refuses to commit an
/// output while any mapped input has changed. Any other SIGBUS goes to the previous handler (or the
/// default action, as without graft).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

namespace graft::io::detail {

/// One registered mapping; read by the signal handler, so atomics only.
struct mapping_slot {
  std::atomic<bool> used{false};
  std::atomic<std::uintptr_t> begin{0};  ///< 0: free (or being filled)
  std::atomic<std::uintptr_t> end{0};    ///< one past the last mapped page
  std::atomic<bool> faulted{false};      ///< some page vanished and was replaced with zeros
};

/// At most this many live mappings are guarded; further ones are mapped unguarded.
inline constexpr std::size_t max_guarded_mappings = 4096;
inline mapping_slot guarded_mappings[max_guarded_mappings];
inline std::uintptr_t guarded_page_size = 4096;
inline struct sigaction previous_sigbus {};

/// The SIGBUS handler: zero pages for a guarded mapping, else the previous disposition.
inline void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (mapping_slot& s : guarded_mappings) {
    const std::uintptr_t b = s.begin.load(std::memory_order_acquire);
    if (b == 0 || addr < b) continue;
    const std::uintptr_t e = s.end.load(std::memory_order_acquire);
    if (addr >= e) continue;
    const std::uintptr_t from = addr & ~(guarded_page_size - 1);
    void* p = ::mmap(reinterpret_cast<void*>(from), e - from, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != MAP_FAILED) {
      s.faulted.store(true, std::memory_order_release);
      return;  // the faulting access is retried on the zero page
    }
    break;
  }
  if ((previous_sigbus.sa_flags & SA_SIGINFO) != 0 && previous_sigbus.sa_sigaction != nullptr) {
    previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if ((previous_sigbus.sa_flags & SA_SIGINFO) == 0 && previous_sigbus.sa_handler != SIG_DFL &&
      previous_sigbus.sa_handler != SIG_IGN) {
    previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // returning retries the access, which now takes the default action
}

/// Installs on_sigbus once per process.
inline void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (page > 0) guarded_page_size = static_cast<std::uintptr_t>(page);
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &previous_sigbus);
  });
}

/// Registers [data, data + size) (a mapping's pages); returns its slot, or -1 when none is free.
inline int guard_mapping(const void* data, std::size_t size) noexcept {
  install_sigbus_guard();
  const auto b = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t e = b + ((size + guarded_page_size - 1) & ~(guarded_page_size - 1));
  for (std::size_t i = 0; i < max_guarded_mappings; ++i) {
    bool expected = false;
    mapping_slot& s = guarded_mappings[i];
    if (!s.used.compare_exchange_strong(expected, true)) continue;
    s.faulted.store(false);
    s.end.store(e, std::memory_order_release);
    s.begin.store(b, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

/// Whether the mapping in `slot` lost pages (false for -1).
inline bool mapping_faulted(int slot) noexcept {
  return slot >= 0 && guarded_mappings[slot].faulted.load(std::memory_order_acquire);
}

/// Frees `slot` (before the mapping is unmapped).
inline void unguard_mapping(int slot) noexcept {
  if (slot < 0) return;
  mapping_slot& s = guarded_mappings[slot];
  s.begin.store(0, std::memory_order_release);
  s.end.store(0, std::memory_order_release);
  s.used.store(false, std::memory_order_release);
}

}  // namespace graft::io::detail
