// The device backend of `graft` (no LibTorch): `apply --device cuda[:N]` is handed to graft-torch, the
// same CLI built with LibTorch, installed beside it.

#include "device_backend.hpp"

#include <graft/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace graft::cli::device_backend {

const char* version_suffix() { return ""; }

/// Runs `graft-torch` (beside this program) with this process's arguments; returns only on failure.
void prepare(const std::string& device, char** argv) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path helper = ec ? fs::path("graft-torch") : self.parent_path() / "graft-torch";
  if (!fs::exists(helper, ec))
    throw usage_error("--device " + device + " needs LibTorch: " + helper.string() +
                      " (the graft CLI built with LibTorch) is not installed");
  std::fflush(nullptr);
  ::execv(helper.c_str(), argv);
  throw usage_error("cannot run " + helper.string() + ": " + std::strerror(errno));
}

std::vector<io::tensor_record> apply_on_device(const plan&, const io::checkpoint&, const io::checkpoint&,
                                               const std::string&) {
  throw std::logic_error("apply_on_device in the graft build without LibTorch");  // prepare() did not return
}

}  // namespace graft::cli::device_backend
