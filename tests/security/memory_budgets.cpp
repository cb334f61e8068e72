// Memory bounded by the input: the unpickler charges every value it builds (nodes, text, container
// slots, memo entries, and the copies its globals make from memoized values) against a budget of
// unpickle_options::memory_factor x the pickle's size + memory_floor (64 x + 64 MiB). Each pickle
// here is small and, before the budget, built hundreds of megabytes to gigabytes. Also: an expanded
// (stride-0) tensor is written through a bounded buffer, never materialised whole (larger ones:
// tests/security/expanded_tensors.cpp).

#include <graft/io/pickle.hpp>
#include <graft/io/tensor_record.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace graft::io;
using test::Contains;

namespace {

std::string u32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string str(const std::string& s) { return "X" + u32(static_cast<std::uint32_t>(s.size())) + s; }
std::string global(const std::string& module, const std::string& name) { return "c" + module + "\n" + name + "\n"; }

/// A list of `n` small ints, memoized as 0: `]q\0(KxKx...e`.
std::string big_list(std::size_t n) {
  std::string p = std::string("]q\0", 3) + "(";
  for (std::size_t i = 0; i < n; ++i) p += "K" + std::string(1, static_cast<char>(i & 0x7f));
  return p + "e";
}

/// `prelude` (which leaves one value, memoized as 0, on the stack), then `times` x (`call` applied to
/// memo 0, popped), then None: the pickle's value.
std::string repeated(const std::string& prelude, const std::string& call, int times) {
  std::string p = "\x80\x02" + prelude + "0";
  for (int i = 0; i < times; ++i) p += call + "0";
  return p + "N.";
}

unpickle_options unlimited_values() {
  unpickle_options o;
  o.max_values = std::size_t{1} << 40;  // only the memory budget stops these
  return o;
}

/// The pickle is refused by the memory budget, with the label and the opcode's offset.
void refused_by_budget(const std::string& pickle, const unpickle_options& o = unlimited_values()) {
  INFO(pickle.size() << "-byte pickle");
  try {
    (void)unpickle({reinterpret_cast<const std::byte*>(pickle.data()), pickle.size()}, "hostile.pkl", o);
    FAIL("unpickled");
  } catch (const graft::checkpoint_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains("hostile.pkl: pickle: the values built need more than"));
    CHECK_THAT(what, Contains("memory budget"));
    CHECK_THAT(what, Contains("(at byte "));
  }
}

std::size_t loads(const std::string& pickle) {
  const auto doc = unpickle({reinterpret_cast<const std::byte*>(pickle.data()), pickle.size()}, "ok.pkl");
  return doc.consumed();
}

}  // namespace

TEST_CASE("security memory: copies of one memoized container are charged (set, frozenset, torch.Size, OrderedDict)") {
  const std::string list = big_list(100000);  // 200 KB: 800 KB of pointers per copy
  const std::string call_of_memo0 = std::string("h\0", 2) + "\x85R";
  refused_by_budget(repeated(list, global("builtins", "set") + call_of_memo0, 500));
  refused_by_budget(repeated(list, global("builtins", "frozenset") + call_of_memo0, 500));
  refused_by_budget(repeated(list, global("torch", "Size") + call_of_memo0, 500));
  // OrderedDict([(k, v), ...]): a list of 50,000 pairs, copied into a dict 500 times
  std::string pairs = std::string("]q\0", 3) + "(";
  for (int i = 0; i < 50000; ++i) pairs += "K\x01K\x02\x86";
  pairs += "e";
  refused_by_budget(repeated(pairs, global("collections", "OrderedDict") + call_of_memo0, 500));
  // the budget is not blind: a few copies load
  CHECK(loads(repeated(list, global("builtins", "set") + call_of_memo0, 5)) > 0);
}

TEST_CASE("security memory: copies of one memoized string are charged (_codecs.encode, torch.device, storage keys)") {
  const std::string text(1 << 20, 'a');  // 1 MB, memoized once
  const std::string memo_text = str(text) + std::string("q\0", 2);
  refused_by_budget(
      repeated(memo_text, global("_codecs", "encode") + std::string("h\0", 2) + str("latin1") + "\x86R", 300));
  refused_by_budget(repeated(memo_text, global("torch", "device") + std::string("h\0", 2) + "\x85R", 300));
  // persistent ids ('storage', FloatStorage, <1 MB key>, 'cpu', 0)
  const std::string pid = "(" + str("storage") + global("torch", "FloatStorage") + std::string("h\0", 2) + str("cpu") +
                          std::string("K\0", 2) + "tQ";
  refused_by_budget(repeated(memo_text, pid, 300));
  CHECK(loads(repeated(memo_text, global("torch", "device") + std::string("h\0", 2) + "\x85R", 3)) > 0);
}

TEST_CASE("security memory: many tiny values (nested TUPLE1, MEMOIZE, None) stay proportional to the input") {
  // 1M nested TUPLE1: 1 byte of input, one node each (~150 bytes): over 64 x + 64 MiB
  std::string nested = "\x80\x02N" + std::string(1000000, '\x85') + ".";
  refused_by_budget(nested);
  // MEMOIZE: each entry is charged; with a tighter budget, 1M of them are refused
  std::string memo = "\x80\x02N" + std::string(1000000, '\x94') + ".";
  unpickle_options tight = unlimited_values();
  tight.memory_factor = 8;
  tight.memory_floor = 0;
  refused_by_budget(memo, tight);
  CHECK(loads(memo) > 0);  // within the default budget
  // None, True and False are one shared value each: 2 MB of Nones in lists cost their 8-byte slots
  std::string nones = "\x80\x02]";
  for (int chunk = 0; chunk < 2000; ++chunk) nones += "(" + std::string(1000, 'N') + "e";
  nones += ".";
  unpickle_options proportional;
  proportional.memory_factor = 10;  // far below a node per None (~150 bytes)
  proportional.memory_floor = 0;
  const auto doc =
      unpickle({reinterpret_cast<const std::byte*>(nones.data()), nones.size()}, "nones.pkl", proportional);
  REQUIRE(doc.root().items.size() == 2000000);
  CHECK(doc.root().items.front() == doc.root().items.back());
}

TEST_CASE("security memory: an expanded (stride-0) tensor is streamed, never materialised") {
  auto one = std::make_shared<std::vector<std::byte>>(4, std::byte{0x3f});
  tensor_record r;
  r.name = "expanded";
  r.shape = {std::int64_t{1} << 24};  // 64 MiB of float32 if materialised (within expanded_floor)
  r.strides = {0};
  r.storage = {one->data(), one->size()};
  r.owner = one;
  std::vector<std::byte> scratch;
  std::size_t total = 0, largest = 0;
  r.write_contiguous(scratch, [&](const std::byte* p, std::size_t n) {
    total += n;
    largest = std::max(largest, n);
    CHECK(p[n - 1] == std::byte{0x3f});
  });
  CHECK(total == r.nbytes());
  CHECK(largest <= (std::size_t{1} << 20));
  CHECK(scratch.capacity() <= (std::size_t{1} << 20));
}
