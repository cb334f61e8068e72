#pragma once
// Fuzz entry points, shared by the libFuzzer mains (tests/fuzz/fuzz_main.cpp, built with
// -DGRAFT_BUILD_FUZZERS=ON by scripts/fuzz) and the replay test (tests/fuzz/replay.cpp, a normal
// ctest test that runs every corpus and regression input through the same functions).
//
// Contract checked by every target: on any input the code under test either succeeds or throws a
// graft::error (a typed error with a message). Any other exception (a contract_violation, below), a
// crash, a sanitizer report, a hang or an unbounded allocation is a bug.

#include <graft/dsl/parse.hpp>
#include <graft/error.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/pickle.hpp>
#include <graft/rules/load.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

#include <unistd.h>

namespace graft_fuzz {

/// Every target: name (also the corpus folder under tests/fuzz/corpus/) and entry function.
using target_fn = void (*)(const std::uint8_t*, std::size_t);

namespace detail {}  // namespace detail

/// The contract broken: an exception not derived from graft::error escaped the code under test
/// (std::out_of_range from std::stoul, std::bad_alloc, ...; the CLI's "internal error", exit 3).
/// Not a graft::error itself: the replay test reports it with the input's name, and the libFuzzer
/// main (fuzz_main.cpp) aborts on it, so the fuzzer keeps the input as a crash.
struct contract_violation : std::logic_error {
  using std::logic_error::logic_error;
};

namespace detail {

/// Runs `f`, swallowing graft::error (the expected outcome for bad input), which must have a
/// message: every refusal must say something. Any other exception is a contract_violation.
template <typename F>
inline void expect_graft_error_or_success(F&& f) {
  try {
    f();
  } catch (const graft::error& e) {
    if (std::strlen(e.what()) == 0) throw contract_violation("a graft::error without a message");
  } catch (const contract_violation&) {
    throw;
  } catch (const std::exception& e) {
    throw contract_violation(std::string("a non-graft exception escaped (") + typeid(e).name() + "): " + e.what());
  } catch (...) {
    throw contract_violation("a non-graft exception escaped (not even a std::exception)");
  }
}

/// A per-process scratch file that the checkpoint readers (which map files) read the input from.
class scratch_file {
public:
  explicit scratch_file(const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/graft-fuzz-XXXXXX" + suffix;
    std::string buf = tmpl;
    int fd = ::mkstemps(buf.data(), static_cast<int>(std::strlen(suffix)));
    if (fd < 0) std::abort();
    ::close(fd);
    path_ = buf;
  }
  ~scratch_file() { ::unlink(path_.c_str()); }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;

  /// Replaces the file's contents with the input bytes; returns its path.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path_;
  }

private:
  std::string path_;
};

/// Reads a checkpoint file and touches every tensor's bytes (so that a span outside the mapping is
/// caught by ASan or the kernel rather than silently accepted).
inline void read_and_touch(const std::string& path) {
  graft::io::checkpoint c = graft::io::read_checkpoint(path);
  volatile unsigned sink = 0;
  for (const auto& t : c.tensors) {
    if (t.nbytes() > (16u << 20)) continue;  // validated records of large tensors: skip the copy
    for (std::byte b : t.contiguous_bytes()) sink = sink + std::to_integer<unsigned>(b);
  }
  (void)sink;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace detail

/// The rules-file parser (dsl::parse) and, when it parses, the loader/validator (load_rules_text).
inline void rules(const std::uint8_t* data, std::size_t size) {
  const std::string text(detail::as_text(data, size));
  bool parsed = false;
  detail::expect_graft_error_or_success([&] {
    graft::dsl::parse("fuzz.graft", text);
    parsed = true;
  });
  // `use "/abs/path"` would make the loader read arbitrary files of the fuzzing machine (/proc, /dev):
  // keep the loader to relative imports, resolved in a folder that does not exist.
  if (!parsed || text.find("\"/") != std::string::npos) return;
  graft::rules::load_options opt;
  opt.use_installed_rules = false;
  detail::expect_graft_error_or_success(
      [&] { graft::rules::load_rules_text("/nonexistent-graft-fuzz-dir/fuzz.graft", text, opt); });
}

/// The restricted unpickler on raw bytes, in both the torch.save and the TorchScript mode.
inline void pickle(const std::uint8_t* data, std::size_t size) {
  const graft::io::byte_span bytes{reinterpret_cast<const std::byte*>(data), size};
  for (bool ts : {false, true}) {
    graft::io::unpickle_options opt;
    opt.torchscript = ts;
    // Smaller limits than the defaults keep each run fast; the limits themselves are what is tested.
    opt.max_values = 1u << 16;
    detail::expect_graft_error_or_success([&] { graft::io::unpickle(bytes, "fuzz.pkl", opt); });
  }
}

/// A whole .pth / .pt file (zip, legacy pre-1.6 or TorchScript), through read_checkpoint.
inline void pth(const std::uint8_t* data, std::size_t size) {
  static detail::scratch_file file(".pth");
  const std::string& path = file.write(data, size);
  detail::expect_graft_error_or_success([&] { detail::read_and_touch(path); });
}

/// A whole .safetensors file (header length, JSON header, spans), through read_checkpoint.
inline void safetensors(const std::uint8_t* data, std::size_t size) {
  static detail::scratch_file file(".safetensors");
  const std::string& path = file.write(data, size);
  detail::expect_graft_error_or_success([&] { detail::read_and_touch(path); });
}

/// The name/shape manifest reader.
inline void manifest(const std::uint8_t* data, std::size_t size) {
  detail::expect_graft_error_or_success([&] { graft::io::parse_manifest(detail::as_text(data, size), "fuzz.tsv"); });
}

struct target {
  const char* name;
  target_fn fn;
};

inline constexpr target all_targets[] = {
    {"rules", &rules}, {"pickle", &pickle}, {"pth", &pth}, {"safetensors", &safetensors}, {"manifest", &manifest},
};

}  // namespace graft_fuzz
