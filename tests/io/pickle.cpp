// The restricted unpickler: opcodes, values, memo, whitelisted and refused globals, limits; the
// opcode table, the globals table and the emitter. Pickles are spelled in raw bytes on purpose, so
// that the tests check the named opcodes (pickle_op) against the protocol.

#include <graft/io/pickle.hpp>

#include "util.hpp"

#include <set>

using namespace graft::io;
using test::Contains;
using namespace std::string_literals;

namespace {

pickle_document load(const std::string& bytes, const unpickle_options& opt = {}) {
  return unpickle({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "t.pkl", opt);
}

std::string u32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string str(const std::string& s) { return "X" + u32(static_cast<std::uint32_t>(s.size())) + s; }

}  // namespace

TEST_CASE("unpickler reads scalars") {
  CHECK(load("\x80\x02N.").root().kind == pickle_kind::none);
  CHECK(load("\x80\x02\x88.").root().boolean);
  CHECK_FALSE(load("\x80\x02\x89.").root().boolean);
  CHECK(load("\x80\x02K\xff.").root().integer == 255);
  CHECK(load("\x80\x02M\x01\x02.").root().integer == 0x0201);
  CHECK(load("\x80\x02J\xfe\xff\xff\xff.").root().integer == -2);
  CHECK(load(std::string("\x80\x02\x8a\x01\xff.", 6)).root().integer == -1);
  CHECK(load("\x80\x02\x8a\x00."s).root().integer == 0);
  CHECK(load("\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."s).root().integer == INT64_MIN);
  auto big = load("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."s);
  CHECK(big.root().kind == pickle_kind::big_integer);
  CHECK(big.root().text.size() == 9);
  CHECK(load("\x80\x02G\x3f\xf8\x00\x00\x00\x00\x00\x00."s).root().floating == 1.5);
  CHECK(load("\x80\x02" + str("héllo") + ".").root().text == "héllo");
  CHECK(load("\x80\x04\x8c\x02hi.").root().text == "hi");
  CHECK(load("\x80\x03"
             "C\x03\x00\x01\x02."s)
            .root()
            .kind == pickle_kind::bytes);
  CHECK(load("\x80\x02U\x03"
             "abc.")
            .root()
            .text == "abc");
}

TEST_CASE("unpickler builds containers and resolves the memo") {
  // {'a': [1, 2, 2], 'b': (1,), 'c': <memo 1 = the list>}
  std::string p = "\x80\x02}q\x00("s + str("a") +
                  "]q\x01(K\x01K\x02K\x02"
                  "e" +
                  str("b") + "K\x01\x85" + str("c") + "h\x01u.";
  auto doc = load(p);
  const auto& r = doc.root();
  REQUIRE(r.kind == pickle_kind::dict);
  REQUIRE(r.entries.size() == 3);
  CHECK(r.find("a")->items.size() == 3);
  CHECK(r.find("b")->kind == pickle_kind::tuple);
  CHECK(r.find("c") == r.find("a"));
  CHECK(doc.consumed() == p.size());
  // a repeated key replaces the value but keeps its place
  auto d2 = load("\x80\x02}(" + str("x") + "K\x01" + str("y") + "K\x02" + str("x") + "K\x03u.");
  REQUIRE(d2.root().entries.size() == 2);
  CHECK(d2.root().entries[0].second->integer == 3);
  // protocol 4 framing, MEMOIZE, STACK_GLOBAL of a whitelisted global
  auto d3 = load(
      "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x0b"s
      "collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94.");
  CHECK(d3.root().kind == pickle_kind::dict);
}

TEST_CASE("unpickler reads stops after one pickle, so several can follow each other") {
  std::string two = "\x80\x02K\x01.\x80\x02K\x02.";
  auto first = load(two);
  CHECK(first.consumed() == 5);
  auto second = unpickle({reinterpret_cast<const std::byte*>(two.data()) + 5, two.size() - 5}, "t", {});
  CHECK(second.root().integer == 2);
}

TEST_CASE("unpickler refuses globals outside the whitelist, naming them") {
  for (const char* g : {"posix\nsystem\n", "builtins\neval\n", "subprocess\nPopen\n", "os\nsystem\n",
                        "__builtin__\ngetattr\n", "torch\nload\n", "torch._utils\n_rebuild_qtensor\n"}) {
    std::string p = std::string(
                        "\x80\x02"
                        "c") +
                    g + "(" + str("ls") + "tR.";
    INFO(g);
    CHECK_THROWS_AS(load(p), graft::checkpoint_error);
    CHECK_THROWS_WITH(load(p), Contains("refused global") && Contains("only torch tensor and container globals"));
  }
  CHECK_THROWS_WITH(load("\x80\x02"
                         "cposix\nsystem\n."),
                    "t.pkl: refused global 'posix.system' (only torch tensor and container globals are allowed)");
  // via STACK_GLOBAL
  CHECK_THROWS_WITH(load("\x80\x04\x8c\x08"
                         "builtins\x8c\x04"
                         "exec\x93."),
                    Contains("'builtins.exec'"));
  // TorchScript classes only in TorchScript mode
  CHECK_THROWS_WITH(load("\x80\x02"
                         "c__torch__.M\nX\n)\x81."),
                    Contains("refused global '__torch__.M.X'"));
  unpickle_options ts;
  ts.torchscript = true;
  CHECK(load("\x80\x02"
             "c__torch__.M\nX\n)\x81}b.",
             ts)
            .root()
            .kind == pickle_kind::object);
}

TEST_CASE("unpickler rejects malformed pickles with clear errors") {
  CHECK_THROWS_WITH(load("\x80\x02s."), Contains("stack underflow"));
  CHECK_THROWS_WITH(load("\x80\x02}K\x01s."), Contains("stack underflow"));
  CHECK_THROWS_WITH(load("\x80\x02h\x05."), Contains("memo key 5 is not defined"));
  CHECK_THROWS_WITH(load("\x80\x02t."), Contains("missing MARK"));
  CHECK_THROWS_WITH(load("\x80\x02" + std::string(5000, '(') + "."), Contains("nesting deeper"));
  CHECK_THROWS_WITH(load("\x80\x02X\xff\xff\xff\x7f"
                         "abc."),
                    Contains("exceeds"));
  CHECK_THROWS_WITH(load("\x80\x02\x8d\x00\x00\x00\x00\x00\x00\x0f\x00."s), Contains("exceeds"));
  CHECK_THROWS_WITH(load("\x80\x02K\x01"), Contains("without STOP"));
  CHECK_THROWS_WITH(load("\x80\x02K\x01K\x02."), Contains("2 values on the stack"));
  CHECK_THROWS_WITH(load("\x80\x09N."), Contains("protocol 9"));
  CHECK_THROWS_WITH(load("\x80\x02Ifoo\n."), Contains("unsupported or unsafe opcode 0x49 'I'"));
  CHECK_THROWS_WITH(load("\x80\x02K\x01K\x02R."), Contains("REDUCE on a int"));
  CHECK_THROWS_WITH(load("\x80\x02K\x01K\x02"
                         "a."),
                    Contains("APPEND on a int"));
  CHECK_THROWS_WITH(load("\x80\x02"
                         "cposix"),
                    Contains("unterminated"));
  CHECK_THROWS_WITH(load(""), Contains("without STOP"));
  // memory bounds: many values, a huge stack
  unpickle_options small;
  small.max_values = 1000;
  std::string many = "\x80\x02";
  for (int i = 0; i < 600; ++i) many += "N0";
  CHECK_NOTHROW(load(many + "N.", small));
  for (int i = 0; i < 600; ++i) many += "N0";
  CHECK_THROWS_WITH(load(many + "N.", small), Contains("too many values"));
  small.max_stack = 100;
  CHECK_THROWS_WITH(load("\x80\x02N" + std::string(200, '2') + ".", small), Contains("stack too large"));
  CHECK_THROWS_WITH(load("\x80\x02](N" + std::string(2000, '2') + "e.", small), Contains("stack too large"));
  // persistent ids other than torch storages
  CHECK_THROWS_WITH(load("\x80\x02K\x01Q."), Contains("unsupported persistent id"));
}

TEST_CASE("unpickler builds tensors from _rebuild_tensor_v2 and parameters") {
  std::string storage = "(" + str("storage") + "ctorch\nFloatStorage\n" + str("0") + str("cpu") + "K\x06tQ";
  std::string tensor = "ctorch._utils\n_rebuild_tensor_v2\n(" + storage + "K\x01K\x02K\x02\x86K\x02K\x01\x86\x89" +
                       "ccollections\nOrderedDict\n)RtR";
  auto doc = load("\x80\x02" + tensor + ".");
  const auto& t = doc.root();
  REQUIRE(t.kind == pickle_kind::tensor);
  CHECK(t.tensor().storage_offset == 1);
  CHECK(t.tensor().shape == graft::shape_t{2, 2});
  CHECK(t.tensor().strides == std::vector<std::int64_t>{2, 1});
  CHECK(t.tensor().storage->storage().key == "0");
  CHECK(t.tensor().storage->storage().type == graft::dtype::float32);
  CHECK(t.tensor().storage->storage().numel == 6);
  CHECK(doc.storages().size() == 1);
  auto param = load(
      "\x80\x02"
      "ctorch._utils\n_rebuild_parameter\n(" +
      tensor + "\x88" + "ccollections\nOrderedDict\n)Rt" + "R.");
  CHECK(param.root().tensor().role == graft::tensor_role::param);
  CHECK(param.root().tensor().requires_grad);
  // storages saved from a GPU (older files name the CUDA storage class)
  std::string cuda = "(" + str("storage") + "ctorch.cuda\nHalfStorage\n" + str("7") + str("cuda:0") + "K\x02tQ.";
  auto cs = load("\x80\x02" + cuda);
  CHECK(cs.root().storage().type == graft::dtype::float16);
  CHECK(cs.root().storage().location == "cuda:0");
  // unknown storage class
  std::string bad = "(" + str("storage") + "ctorch\nQInt8Storage\n" + str("0") + str("cpu") + "K\x06tQ.";
  CHECK_THROWS_WITH(load("\x80\x02" + bad), Contains("refused global 'torch.QInt8Storage'"));
  // size/stride arity mismatch
  std::string mism = "ctorch._utils\n_rebuild_tensor_v2\n(" + storage + "K\x00K\x02\x85K\x02K\x01\x86\x89NtR."s;
  CHECK_THROWS_WITH(load("\x80\x02" + mism), Contains("1 dimensions but stride has 2"));
}

TEST_CASE("pickle opcodes: one name and one byte each, as the protocol spells them") {
  std::set<int> bytes;
  std::set<std::string> names;
  for (const auto& row : pickle_ops) {
    CHECK(bytes.insert(static_cast<int>(row.op)).second);
    CHECK(names.insert(row.name).second);
  }
  CHECK(bytes.size() == 68);  // protocols 0-5, as pickletools lists them
  // spot checks against the bytes themselves (the tests above spell pickles in raw bytes)
  CHECK(pickle_op_char(pickle_op::binput) == 'q');
  CHECK(pickle_op_char(pickle_op::mark) == '(');
  CHECK(pickle_op_char(pickle_op::stop) == '.');
  CHECK(pickle_op_char(pickle_op::proto) == '\x80');
  CHECK(pickle_op_char(pickle_op::frame) == '\x95');
  CHECK(pickle_op_char(pickle_op::readonly_buffer) == '\x98');
  CHECK(pickle_op_name(pickle_op::binput) == "BINPUT"s);
  CHECK(pickle_op_name(pickle_op::newobj_ex) == "NEWOBJ_EX"s);
  CHECK(pickle_op_name(static_cast<pickle_op>(0x99)) == nullptr);
  CHECK(pickle_op_name(static_cast<pickle_op>('z')) == nullptr);
  // messages name opcodes the way the table does
  CHECK_THROWS_WITH(load("\x80\x02q\x00."s), "t.pkl: pickle: stack underflow in BINPUT (at byte 2)");
  CHECK_THROWS_WITH(load("\x80\x02\x87."), Contains("stack underflow in TUPLE3"));
  CHECK_THROWS_WITH(load("\x80\x02\x91."), Contains("missing MARK for FROZENSET"));
  CHECK_THROWS_WITH(load("\x80\x02\x8b\xff\xff\xff\xff."), Contains("negative LONG4 length"));
  // opcodes that have a name but are refused all the same
  CHECK_THROWS_WITH(load("\x80\x02i__main__\nX\n."), Contains("unsupported or unsafe opcode 0x69 'i'"));
  CHECK_THROWS_WITH(load("\x80\x05\x97."), Contains("unsupported or unsafe opcode 0x97"));
}

TEST_CASE("pickle emitter writes what the unpickler reads") {
  graft::io::detail::pickle_emitter p;
  p.proto();
  p.mark();
  p.str("k");
  p.integer(-3);
  p.integer(std::int64_t{1} << 40);
  p.int_tuple({1, 2});
  p.global("collections", "OrderedDict");
  p.op(pickle_op::empty_tuple);
  p.op(pickle_op::reduce);
  p.op(pickle_op::tuple);
  p.op(pickle_op::stop);
  CHECK(p.out.substr(0, 4) == "\x80\x02(X");
  auto doc = load(p.out);
  const auto& t = doc.root();
  REQUIRE(t.kind == pickle_kind::tuple);
  REQUIRE(t.items.size() == 5);
  CHECK(t.items[0]->text == "k");
  CHECK(t.items[1]->integer == -3);
  CHECK(t.items[2]->integer == std::int64_t{1} << 40);
  CHECK(t.items[3]->items.size() == 2);
  CHECK(t.items[4]->kind == pickle_kind::dict);
  CHECK(doc.consumed() == p.out.size());
}

TEST_CASE("allowed globals: one row each says whether a global is accepted and what it builds") {
  namespace d = graft::io::detail;
  const d::global_row* v2 = d::find_global("torch._utils", "_rebuild_tensor_v2", false);
  REQUIRE(v2 != nullptr);
  CHECK(v2->build == &d::globals::rebuild_tensor_v2);
  // families: storage classes and dtypes are accepted but cannot be called
  REQUIRE(d::find_global("torch", "HalfStorage", false) != nullptr);
  CHECK(d::find_global("torch", "HalfStorage", false)->build == nullptr);
  REQUIRE(d::find_global("torch.cuda", "FloatStorage", false) != nullptr);
  REQUIRE(d::find_global("torch", "bfloat16", false) != nullptr);
  CHECK(d::find_global("torch", "QInt8Storage", false) == nullptr);  // quantized: not read
  CHECK(d::find_global("torch", "ComplexFloatStorage", false) != nullptr);
  CHECK(d::find_global("torch.storage", "UntypedStorage", false) != nullptr);
  CHECK(d::find_global("torch.storage", "FloatStorage", false) == nullptr);
  CHECK(d::find_global("torch.cuda", "float32", false) == nullptr);
  CHECK_THROWS_WITH(load("\x80\x02"
                         "ctorch\nFloatStorage\n)R."),
                    Contains("REDUCE of 'torch.FloatStorage' is not supported"));
  // TorchScript rows only in TorchScript mode; __torch__ covers its submodules, not look-alikes
  CHECK(d::find_global("torch.jit._pickle", "build_intlist", false) == nullptr);
  CHECK(d::find_global("torch.jit._pickle", "build_intlist", true) != nullptr);
  CHECK(d::find_global("__torch__", "M", true) != nullptr);
  CHECK(d::find_global("__torch__.a.b", "M", true) != nullptr);
  CHECK(d::find_global("__torch__x", "M", true) == nullptr);
  CHECK(d::find_global("__torch__.a", "M", false) == nullptr);
  CHECK(d::allowed_global("collections", "OrderedDict", false));
  CHECK_FALSE(d::allowed_global("collections", "defaultdict", false));
  // every row with a handler builds something when called (here: with its simplest arguments)
  unpickle_options ts;
  ts.torchscript = true;
  CHECK(load("\x80\x02"
             "cbuiltins\nset\n)R.")
            .root()
            .kind == pickle_kind::list);
  CHECK(load("\x80\x02"
             "ctorch.jit._pickle\nbuild_intlist\nK\x01K\x02\x86\x85R.",
             ts)
            .root()
            .items.size() == 2);
  CHECK(load("\x80\x02"
             "ctorch\ndevice\n" +
             str("cuda") + "K\x01\x86R.")
            .root()
            .text == "cuda:1");
}
