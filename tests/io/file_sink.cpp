// file_sink (graft/io/file_sink.hpp), the writer under every output: appends small and large pieces in
// order, patches bytes still buffered, already in the file and across the two, refuses a patch past
// the end, and names its file when a write fails.

#include <graft/error.hpp>
#include <graft/io/file_sink.hpp>

#include "util.hpp"

#include <string>

#include <fcntl.h>
#include <unistd.h>

using graft::io::file_sink;
using test::Contains;

namespace {

/// A file opened for writing, closed on scope exit.
struct open_file {
  explicit open_file(const std::string& path, int flags = O_WRONLY | O_CREAT | O_TRUNC)
      : fd(::open(path.c_str(), flags, 0644)) {
    REQUIRE(fd >= 0);
  }
  ~open_file() { ::close(fd); }
  int fd;
};

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
  return s;
}

}  // namespace

TEST_CASE("file_sink: small and large appends land in order, patches land in the buffer, the file and across both") {
  const auto path = (io_test::scratch("file-sink") / "out.bin").string();
  const std::string head = pattern(100, 'a'), big = pattern((std::size_t{3} << 20) + 7, 'A'), tail = pattern(50, '0');
  std::string expected = head + big + tail;
  {
    open_file f(path);
    file_sink sink(f.fd, "out.bin");
    sink.write(head.data(), head.size());
    sink.patch(10, "XY", 2);             // still buffered
    sink.write(big.data(), big.size());  // flushes the buffer, then goes straight to the file
    sink.write(tail.data(), tail.size());
    CHECK(sink.size() == expected.size());
    sink.patch(20, "PQRS", 4);                            // in the file
    sink.patch(head.size() + big.size() - 2, "1234", 4);  // two bytes in the file, two buffered
    sink.flush();
  }
  expected.replace(10, 2, "XY");
  expected.replace(20, 4, "PQRS");
  expected.replace(head.size() + big.size() - 2, 4, "1234");
  CHECK(io_test::read_bytes(path) == expected);
}

TEST_CASE("file_sink: a patch past the end is refused, naming the file") {
  const auto path = (io_test::scratch("file-sink") / "short.bin").string();
  open_file f(path);
  file_sink sink(f.fd, "short.bin");
  sink.write("abcd", 4);
  CHECK_THROWS_WITH(sink.patch(2, "xyz", 3), Contains("short.bin: patch past the end"));
}

TEST_CASE("file_sink: a failed write names the file and the cause") {
  const auto path = io_test::write_file(io_test::scratch("file-sink") / "readonly.bin", "x");
  open_file f(path, O_RDONLY);
  file_sink sink(f.fd, "readonly.bin");
  sink.write("abcd", 4);  // buffered: nothing is written yet
  CHECK_THROWS_AS(sink.flush(), graft::checkpoint_error);
  const std::string big(std::size_t{2} << 20, 'z');
  CHECK_THROWS_WITH(sink.write(big.data(), big.size()), Contains("readonly.bin: write failed (Bad file descriptor)"));
}
