#pragma once
// Whether the kernel copies files here (copy_file_range): the tests of copies by the kernel check the
// kernel path where it does and say so where it does not.

#include <graft/io/kernel_copy.hpp>

#include <cstdio>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace test {

/// True when the kernel copies 4 bytes of `from` into a new file `probe` (removed again).
inline bool kernel_copies(const std::string& from, const std::string& probe) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open(probe.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const bool copies = in >= 0 && out >= 0 && graft::io::kernel_copy(in, 0, out, 0, 4) == 4;
  if (in >= 0) ::close(in);
  if (out >= 0) ::close(out);
  std::remove(probe.c_str());
  return copies;
}

}  // namespace test
