#pragma once
// Fuzz entry points, shared by the libFuzzer mains (tests/fuzz/fuzz_main.cpp, built with
// -DGRAFT_BUILD_FUZZERS=ON by scripts/fuzz) and the replay test (tests/fuzz/replay.cpp, a normal
// ctest test that runs every corpus and regression input through the same functions).
//
// Contract checked by every target: on any input the code under test either succeeds or throws a
// graft::error (a typed error with a message). Any other exception (a contract_violation, below), a
// crash, a sanitizer report, a hang or an unbounded allocation is a bug.

#include "memory_meter.hpp"

#include <graft/apply/records.hpp>
#include <graft/detail/text.hpp>
#include <graft/dsl/parse.hpp>
#include <graft/error.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/pickle.hpp>
#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

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

namespace detail {

/// Separates the pipeline input's parts: rules, source manifest, destination manifest.
inline constexpr std::string_view part_separator = "\n=====\n";

/// Part `i` (0-2) of a pipeline input ("" when there are fewer parts).
inline std::string_view part(std::string_view input, int i) {
  for (; i > 0; --i) {
    const std::size_t at = input.find(part_separator);
    if (at == std::string_view::npos) return {};
    input.remove_prefix(at + part_separator.size());
  }
  return input.substr(0, input.find(part_separator));
}

/// Text shown to a user must be safe to print: no control byte but line breaks, well-formed UTF-8.
inline void check_printable(const std::string& text, const char* what) {
  for (char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f)
      throw contract_violation(std::string(what) + " holds a control byte");
  if (!graft::detail::is_utf8(text)) throw contract_violation(std::string(what) + " is not UTF-8");
}

/// In-memory records for a manifest's tensors (a byte pattern for values), or none when they would
/// take more than `max_bytes`.
inline std::optional<std::vector<graft::io::tensor_record>> records_for(const graft::tensor_set& tensors,
                                                                        std::size_t max_bytes) {
  std::vector<graft::io::tensor_record> out;
  std::size_t total = 0;
  for (const auto& t : tensors) {
    std::size_t bytes = graft::dtype_size(t.type);
    for (auto d : t.shape)
      if (d < 0 || __builtin_mul_overflow(bytes, static_cast<std::size_t>(d), &bytes)) return std::nullopt;
    if (__builtin_add_overflow(total, bytes, &total) || total > max_bytes) return std::nullopt;
    auto data = std::make_shared<std::vector<std::byte>>(bytes);
    for (std::size_t i = 0; i < bytes; ++i) (*data)[i] = static_cast<std::byte>((i * 37) & 0x3f);
    graft::io::tensor_record r;
    static_cast<graft::tensor_meta&>(r) = t;
    r.strides = graft::io::contiguous_strides(r.shape);
    r.storage = {data->data(), data->size()};
    r.owner = data;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace detail

/// Rules and two manifests (separated by "\n=====\n") through the whole pipeline: load the rules
/// (shipped `use`s resolve), plan, report, JSON, explain, and apply_records on in-memory records. The
/// report and explain must be safe to print, the JSON well-formed UTF-8 JSON.
inline void pipeline(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = detail::as_text(data, size);
  const std::string rules_text(detail::part(input, 0));
  if (rules_text.find("\"/") != std::string::npos) return;  // no absolute `use` (see rules())
  detail::expect_graft_error_or_success([&] {
    graft::rules::load_options opt;  // relative `use`s: beside a folder that does not exist, then the shipped rules
    const auto rules = graft::rules::load_rules_text("/nonexistent-graft-fuzz-dir/fuzz.graft", rules_text, opt);
    const auto source = graft::io::parse_manifest(detail::part(input, 1), "source.tsv");
    const auto destination = graft::io::parse_manifest(detail::part(input, 2), "destination.tsv");
    for (bool lenient : {false, true}) {
      graft::plan_options options;
      options.lenient = lenient;
      const graft::plan p = graft::make_plan(rules, source, destination, options);
      detail::check_printable(graft::format_report(p), "the plan report");
      const std::string json = graft::format_json(p);
      if (!graft::detail::is_utf8(json)) throw contract_violation("the plan JSON is not UTF-8");
      try {
        (void)graft::io::detail::parse_json(json);
      } catch (const std::exception& e) {
        throw contract_violation(std::string("the plan JSON does not parse: ") + e.what());
      }
      if (!lenient) continue;
      for (const auto* side : {&source, &destination})
        if (!side->empty())
          detail::check_printable(graft::explain(rules, source, destination, side->front().name, options), "explain");
      if (!p.ok()) continue;
      const std::size_t max_bytes = std::size_t{8} << 20;  // per side: within the input's memory budget
      const auto src = detail::records_for(source, max_bytes);
      const auto dst = detail::records_for(destination, max_bytes);
      if (!src || !dst) continue;
      volatile unsigned sink = 0;
      for (const auto& r : graft::apply_records(p, *src, *dst))
        for (std::byte b : r.contiguous_bytes()) sink = sink + std::to_integer<unsigned>(b);
      (void)sink;
    }
  });
}

/// The time one input may take, in seconds (libFuzzer's -timeout in scripts/fuzz says the same).
inline constexpr double time_limit_s = 10;

/// Runs one input through `fn` under its limits: the heap it makes live at once stays within
/// meter::memory_budget (where the meter is installed), and it ends within time_limit_s.
inline void run_limited(target_fn fn, const std::uint8_t* data, std::size_t size) {
  const std::int64_t base = meter::start();
  const auto began = std::chrono::steady_clock::now();
  fn(data, size);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const std::size_t peak = meter::peak_above(base);
  if (meter::installed && peak > meter::memory_budget(size))
    throw contract_violation(
        "the input made " + std::to_string(peak) + " heap bytes live at once, over its budget of " +
        std::to_string(meter::memory_budget(size)) + " (64 x its " + std::to_string(size) + " bytes + 64 MiB)");
  if (seconds > time_limit_s)
    throw contract_violation("the input took " + std::to_string(seconds) + " s, over the limit of " +
                             std::to_string(time_limit_s) + " s");
}

struct target {
  const char* name;
  target_fn fn;
};

inline constexpr target all_targets[] = {
    {"rules", &rules},       {"pickle", &pickle},     {"pth", &pth}, {"safetensors", &safetensors},
    {"manifest", &manifest}, {"pipeline", &pipeline},
};

}  // namespace graft_fuzz
