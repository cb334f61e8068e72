// Hostile sharded safetensors indexes and folder inputs: shard paths leading out of the folder or to
// things that are not regular files, an index that is a FIFO, deep JSON, huge weight maps. Each must
// end in a graft::checkpoint_error with a one-line message naming the index, never a hang or a read
// outside the index's folder.

#include <graft/io/checkpoint.hpp>
#include <graft/io/safetensors.hpp>

#include "support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

using namespace graft::io;
using test::Contains;
namespace fs = std::filesystem;

namespace {

/// This process's scratch root, removed at exit (FIFOs included).
const fs::path& root() {
  struct dir {
    fs::path path = fs::path(GRAFT_BINARY_DIR) / "security-scratch" / ("sharded-" + std::to_string(::getpid()));
    ~dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static dir d;
  return d.path;
}

/// An empty scratch folder.
fs::path fresh(const std::string& name) {
  const fs::path p = root() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

/// read_checkpoint(path) throws a one-line checkpoint_error containing `why`.
void refused(const std::string& path, const std::string& why) {
  INFO(path);
  try {
    (void)read_checkpoint(path);
    FAIL("read succeeded");
  } catch (const graft::checkpoint_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains(why));
    CHECK(what.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("security: sharded index shard paths stay inside the folder and name regular files") {
  const fs::path dir = fresh("paths");
  const std::string index = (dir / "m.safetensors.index.json").string();
  for (const char* p : {"/dev/zero", "/etc/passwd", "//x.safetensors"}) {
    write(index, std::string("{\"weight_map\":{\"w\":\"") + p + "\"}}");
    refused(index, "is absolute");
  }
  for (const char* p : {"..", "../x.safetensors", "a/../../x.safetensors", "./../x"}) {
    write(index, std::string("{\"weight_map\":{\"w\":\"") + p + "\"}}");
    refused(index, "leads out of the index's folder");
  }
  write(index, "{\"weight_map\":{\"w\":\"a\\u0000b\"}}");
  refused(index, "holds a NUL byte");
  REQUIRE(::mkfifo((dir / "fifo.safetensors").c_str(), 0600) == 0);
  write(index, "{\"weight_map\":{\"w\":\"fifo.safetensors\"}}");
  refused(index, "not a regular file");
  fs::create_directories(dir / "sub.safetensors");
  write(index, "{\"weight_map\":{\"w\":\"sub.safetensors\"}}");
  refused(index, "not a regular file");
  write(index, "{\"weight_map\":{\"w\":\"m.safetensors.index.json\"}}");
  refused(index, "safetensors");
}

TEST_CASE("security: hostile sharded indexes and folders") {
  const fs::path dir = fresh("indexes");
  const std::string fifo = (dir / "f.safetensors.index.json").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  refused(fifo, "not a regular file");  // no hang waiting for a writer
  fs::remove(fifo);
  const std::string index = (dir / "m.safetensors.index.json").string();
  write(index, "{\"weight_map\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
  refused(index, "malformed JSON");
  std::string big = "{\"weight_map\":{";
  for (int i = 0; i < 200000; ++i) big += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":\"missing.safetensors\"";
  write(index, big + "}}");
  refused(index, "shard 'missing.safetensors' is missing");
  // a folder whose only *.safetensors is not a regular file holds no checkpoint
  const fs::path only_fifo = fresh("only-fifo");
  REQUIRE(::mkfifo((only_fifo / "x.safetensors").c_str(), 0600) == 0);
  refused(only_fifo.string(), "folder holds no checkpoint");
}
