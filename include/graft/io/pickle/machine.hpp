#pragma once
/// \file
/// The restricted unpickler: a pickle machine (stack, marks, memo) for what torch.save writes
/// (protocols 2–5) that builds a value tree and never executes anything. run() dispatches each
/// opcode to a small handler; opcodes without one (INST, OBJ, EXT*, PERSID, text opcodes but GLOBAL,
/// out-of-band buffers, unknown bytes) are refused. Globals are looked up in detail::torch_globals
/// and refused when no row matches. Every declared length is checked against the remaining bytes
/// before anything is allocated, and stack, marks, memo and values are bounded (unpickle_options).

#include <graft/detail/text.hpp>
#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/detail/budget.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle/memo.hpp>
#include <graft/io/pickle/opcodes.hpp>
#include <graft/io/pickle/torch_globals.hpp>
#include <graft/io/pickle/value.hpp>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft::io {

/// Limits and modes of the restricted unpickler.
struct unpickle_options {
  std::size_t max_mark_depth = 1000;  ///< deepest MARK nesting accepted
  std::size_t max_memo = 1u << 24;    ///< most memo entries
  std::size_t max_stack = 1u << 20;   ///< most values on the stack
  /// Most values plus container insertions per pickle: bounds memory on hostile input
  /// (a state dict with 100k tensors needs about 2M).
  std::size_t max_values = 1u << 23;
  /// The memory budget: the values one pickle builds (nodes, text, container slots, memo entries,
  /// copies made from memoized values) may take at most memory_factor bytes per byte of the pickle
  /// plus memory_floor; beyond it the pickle is refused. Raise them for an unusual trusted file.
  std::size_t memory_factor = 64;
  std::size_t memory_floor = std::size_t{64} << 20;
  /// TorchScript mode: classes under `__torch__.` (and torch.jit's storage helpers) are accepted as
  /// plain objects whose state is kept — still never executed.
  bool torchscript = false;
};

/// The restricted unpickler. Use io::unpickle() unless you need several pickles from one buffer.
class unpickler {
public:
  /// Prepares to read the pickle in `bytes`; `label` (the file, maybe with a record) prefixes errors.
  unpickler(byte_span bytes, std::string label, unpickle_options options = {})
      : p_(bytes.data),
        begin_(bytes.data),
        end_(bytes.end()),
        b_(std::move(label), options.max_values, memory_budget(bytes.size, options)),
        opt_(options) {}

  /// Reads one pickle up to its STOP opcode.
  pickle_document load() {
    b_.reset();
    stack_.clear();
    marks_.clear();
    memo_.clear();
    dict_index_.clear();
    key_ids_.clear();
    key_texts_.clear();
    value* root = run();
    return b_.finish(root, static_cast<std::size_t>(p_ - begin_));
  }

  /// The bytes a pickle of `size` bytes may build (saturating).
  static std::size_t memory_budget(std::size_t size, const unpickle_options& o) noexcept {
    return detail::scaled_budget(size, o.memory_factor, o.memory_floor);
  }

private:
  using value = pickle_value;
  using op = pickle_op;
  using kind = pickle_kind;

  [[noreturn]] void fail(const std::string& what) const { b_.fail(what); }
  static std::string op_name(op o) { return pickle_op_name(o); }
  value* make(kind k) { return b_.make(k); }

  // --- reading the opcode's arguments ---

  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  const std::byte* take(std::uint64_t n) {
    if (n > left())
      fail("declared length " + std::to_string(n) + " exceeds the " + std::to_string(left()) +
           " bytes left (truncated?)");
    const std::byte* q = p_;
    p_ += n;
    return q;
  }
  /// An n-byte little-endian unsigned argument.
  std::uint64_t u(std::size_t n) {
    const std::byte* q = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(std::to_integer<unsigned>(q[i])) << (8 * i);
    return v;
  }
  /// A signed 4-byte length, refused when negative.
  std::uint64_t length4(op o) {
    auto n = static_cast<std::int32_t>(static_cast<std::uint32_t>(u(4)));
    if (n < 0) fail("negative " + op_name(o) + " length");
    return static_cast<std::uint64_t>(n);
  }
  std::string_view line() {
    const std::byte* q = p_;
    while (q != end_ && *q != std::byte{'\n'}) ++q;
    if (q == end_) fail("unterminated text line (truncated?)");
    std::string_view s = detail::as_chars(p_, static_cast<std::size_t>(q - p_));
    p_ = q + 1;
    return s;
  }

  // --- the stack, marks and memo ---

  void push(value* v) {
    if (stack_.size() >= opt_.max_stack) fail("stack too large");
    stack_.push_back(v);
  }
  std::size_t floor() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  value* pop(op o) {
    if (stack_.size() <= floor()) fail("stack underflow in " + op_name(o));
    value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  value* top(op o) {
    if (stack_.size() <= floor()) fail("stack underflow in " + op_name(o));
    return stack_.back();
  }
  /// Pops everything above the last MARK and the MARK itself.
  std::vector<value*> pop_mark(op o) {
    if (marks_.empty()) fail("missing MARK for " + op_name(o));
    std::size_t m = marks_.back();
    marks_.pop_back();
    b_.spend(stack_.size() - m);
    std::vector<value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void memo_put(std::uint64_t idx, op o) { memo_.put(idx, top(o), opt_.max_memo, b_); }
  void memo_get(std::uint64_t idx) {
    value* v = memo_.get(idx);
    if (v == nullptr) fail("memo key " + std::to_string(idx) + " is not defined");
    push(v);
  }

  // --- scalars ---

  value* make_bool(bool x) { return b_.shared(kind::boolean, x); }
  value* make_int(std::int64_t i) {
    value* v = make(kind::integer);
    v->integer = i;
    return v;
  }
  /// LONG1 / LONG4: little-endian two's complement; longer than 8 bytes becomes a big_integer.
  value* make_long(std::uint64_t n) {
    const std::byte* q = take(n);
    if (n <= 8) {
      std::uint64_t x = 0;
      for (std::size_t i = 0; i < n; ++i) x |= static_cast<std::uint64_t>(std::to_integer<unsigned>(q[i])) << (8 * i);
      if (n > 0 && n < 8 && (std::to_integer<unsigned>(q[n - 1]) & 0x80)) x |= ~std::uint64_t{0} << (8 * n);
      return make_int(static_cast<std::int64_t>(x));
    }
    value* v = make(kind::big_integer);
    v->text.assign(detail::as_chars(q, static_cast<std::size_t>(n)));
    return b_.charged_text(v);
  }
  /// BINFLOAT: 8 bytes, big-endian.
  value* make_float() {
    const std::byte* q = take(8);
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | std::to_integer<unsigned>(q[i]);
    value* v = make(kind::floating);
    std::memcpy(&v->floating, &bits, 8);
    return v;
  }
  value* make_string(kind k, std::uint64_t n) {
    const std::byte* q = take(n);
    value* v = make(k);
    v->text.assign(detail::as_chars(q, static_cast<std::size_t>(n)));
    return b_.charged_text(v);
  }

  // --- containers ---

  /// TUPLE, LIST, FROZENSET: the values above the last MARK.
  value* make_marked(op o, kind k) {
    auto items = pop_mark(o);
    value* v = make(k);
    b_.charge(items.size() * sizeof(value*));
    v->items = std::move(items);
    return v;
  }
  /// TUPLE1..TUPLE3: the top n values.
  value* make_small_tuple(op o, std::size_t n) {
    if (stack_.size() < floor() + n) fail("stack underflow in " + op_name(o));
    value* v = make(kind::tuple);
    b_.charge(n * sizeof(value*));
    v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return v;
  }
  value* make_dict() {
    auto items = pop_mark(op::dict);
    value* v = make(kind::dict);
    setitems(v, items, op::dict);
    return v;
  }
  void setitems(value* d, const std::vector<value*>& kv, op o) {
    if (d->kind != kind::dict) fail(op_name(o) + " on a " + kind_name(d->kind) + ", not a dict");
    if (kv.size() % 2) fail(op_name(o) + " with an odd number of items");
    b_.spend(kv.size() / 2);
    for (std::size_t i = 0; i < kv.size(); i += 2) {
      if (kv[i]->kind == kind::string) {
        auto& index = dict_index_[d];
        auto [it, fresh] = index.emplace(key_id(kv[i]), d->entries.size());
        if (!fresh) {
          d->entries[it->second].second = kv[i + 1];  // a repeated key replaces the value, as in Python
          continue;
        }
        b_.charge(detail::pickle_memo::hashed_entry_bytes);
      }
      b_.charge(sizeof(d->entries[0]));
      d->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }
  /// The identity of string key `k`: equal texts share one id. A key value's text is hashed once,
  /// then found by its address, so setting one long (memoized) key many times costs no re-hashing.
  std::size_t key_id(const value* k) {
    auto [by_value, fresh] = key_ids_.emplace(k, 0);
    if (!fresh) return by_value->second;
    b_.charge(detail::pickle_memo::hashed_entry_bytes);
    auto [by_text, new_text] = key_texts_.emplace(k->text, key_texts_.size());
    if (new_text) b_.charge(detail::pickle_memo::hashed_entry_bytes + k->text.size());  // a copy of the key
    return by_value->second = by_text->second;
  }
  void appends(value* l, const std::vector<value*>& xs, op o) {
    if (l->kind != kind::list) fail(op_name(o) + " on a " + kind_name(l->kind) + ", not a list");
    b_.spend(xs.size());
    b_.charge(xs.size() * sizeof(value*));
    l->items.insert(l->items.end(), xs.begin(), xs.end());
  }
  void on_append() {
    value* x = pop(op::append);
    appends(top(op::append), {x}, op::append);
  }
  /// APPENDS, ADDITEMS.
  void on_appends(op o) {
    auto items = pop_mark(o);
    appends(top(o), items, o);
  }
  void on_setitem() {
    value* v = pop(op::setitem);
    value* k = pop(op::setitem);
    setitems(top(op::setitem), {k, v}, op::setitem);
  }
  void on_setitems() {
    auto items = pop_mark(op::setitems);
    setitems(top(op::setitems), items, op::setitems);
  }

  // --- framing ---

  void on_proto() {
    auto v = u(1);
    if (v < 2 || v > 5) fail("unsupported pickle protocol " + std::to_string(v));
  }
  void on_frame() {
    auto n = u(8);
    if (n > left())
      fail("frame of " + std::to_string(n) + " bytes exceeds the " + std::to_string(left()) + " bytes left");
  }
  void on_mark() {
    if (marks_.size() >= opt_.max_mark_depth) fail("nesting deeper than " + std::to_string(opt_.max_mark_depth));
    marks_.push_back(stack_.size());
  }
  value* on_stop() {
    if (!marks_.empty()) fail("STOP inside an open MARK");
    if (stack_.size() != 1) fail("STOP with " + std::to_string(stack_.size()) + " values on the stack (expected 1)");
    return stack_.back();
  }
  [[noreturn]] void refuse(unsigned char byte) const {
    std::string h = "0x";
    graft::detail::append_hex_byte(h, byte);
    fail("unsupported or unsafe opcode " + h +
         (byte >= 0x20 && byte < 0x7f ? std::string(" '") + static_cast<char>(byte) + "'" : std::string()));
  }

  // --- globals, calls, objects, persistent ids ---

  /// Pushes the global `module`.`name` if a row of detail::torch_globals accepts it.
  void global(std::string_view module, std::string_view name) {
    const detail::global_row* row = detail::find_global(module, name, opt_.torchscript);
    std::string full = std::string(module) + "." + std::string(name);
    if (row == nullptr)
      throw checkpoint_error(b_.label() + ": refused global " + detail::quote_name(full) +
                             " (only torch tensor and container globals are allowed)");
    value* v = make(kind::global);
    v->text = std::move(full);
    b_.charged_text(v);
    v->integer = row - std::begin(detail::torch_globals);
    push(v);
  }
  void on_global() {
    std::string module(line());
    std::string name(line());
    global(module, name);
  }
  void on_stack_global() {
    value* name = pop(op::stack_global);
    value* module = pop(op::stack_global);
    if (name->kind != kind::string || module->kind != kind::string) fail("STACK_GLOBAL with non-string module or name");
    global(module->text, name->text);
  }
  /// What calling `callable` with `args` builds: the handler of its row.
  value* call(value* callable, value* args, op o) {
    if (callable->kind != kind::global) fail(op_name(o) + " on a " + kind_name(callable->kind) + ", not a callable");
    if (args->kind != kind::tuple)
      fail(op_name(o) + " with arguments that are a " + kind_name(args->kind) + ", not a tuple");
    const detail::global_row& row = detail::torch_globals[static_cast<std::size_t>(callable->integer)];
    if (row.build == nullptr) fail(op_name(o) + " of " + detail::quote_name(callable->text) + " is not supported");
    return row.build(b_, callable->text, args->items);
  }
  /// REDUCE, NEWOBJ.
  void on_call(op o) {
    value* args = pop(o);
    value* fn = pop(o);
    push(call(fn, args, o));
  }
  void on_newobj_ex() {
    value* kwargs = pop(op::newobj_ex);
    value* args = pop(op::newobj_ex);
    value* cls = pop(op::newobj_ex);
    if (kwargs->kind != kind::dict || !kwargs->entries.empty()) fail("NEWOBJ_EX with keyword arguments");
    push(call(cls, args, op::newobj_ex));
  }
  void on_build() {
    value* state = pop(op::build);
    value* obj = top(op::build);
    if (obj->kind == kind::object)
      obj->items.assign(1, state);
    else if (obj->kind != kind::dict && obj->kind != kind::tensor)
      fail(std::string("BUILD on a ") + kind_name(obj->kind));
  }
  void on_binpersid() {
    value* s = detail::torch_storage(b_, pop(op::binpersid));
    b_.add_storage(s);
    push(s);
  }

  // --- the machine ---

  /// Runs one opcode; returns the pickle's value at STOP, else nullptr.
  value* step(unsigned char byte) {
    switch (auto o = static_cast<op>(byte)) {
      case op::proto: on_proto(); break;
      case op::frame: on_frame(); break;
      case op::stop: return on_stop();
      case op::mark: on_mark(); break;
      case op::pop: pop(o); break;
      case op::pop_mark: pop_mark(o); break;
      case op::dup: push(top(o)); break;
      case op::none: push(b_.shared(kind::none)); break;
      case op::newtrue: push(make_bool(true)); break;
      case op::newfalse: push(make_bool(false)); break;
      case op::binint: push(make_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(u(4))))); break;
      case op::binint1: push(make_int(static_cast<std::int64_t>(u(1)))); break;
      case op::binint2: push(make_int(static_cast<std::int64_t>(u(2)))); break;
      case op::long1: push(make_long(u(1))); break;
      case op::long4: push(make_long(length4(o))); break;
      case op::binfloat: push(make_float()); break;
      case op::short_binunicode: push(make_string(kind::string, u(1))); break;
      case op::binunicode: push(make_string(kind::string, u(4))); break;
      case op::binunicode8: push(make_string(kind::string, u(8))); break;
      case op::short_binstring: push(make_string(kind::string, u(1))); break;
      case op::binstring: push(make_string(kind::string, length4(o))); break;
      case op::short_binbytes: push(make_string(kind::bytes, u(1))); break;
      case op::binbytes: push(make_string(kind::bytes, u(4))); break;
      case op::binbytes8:
      case op::bytearray8: push(make_string(kind::bytes, u(8))); break;
      case op::empty_dict: push(make(kind::dict)); break;
      case op::empty_list:
      case op::empty_set: push(make(kind::list)); break;
      case op::empty_tuple: push(make(kind::tuple)); break;
      case op::tuple: push(make_marked(o, kind::tuple)); break;
      case op::list:
      case op::frozenset: push(make_marked(o, kind::list)); break;
      case op::tuple1: push(make_small_tuple(o, 1)); break;
      case op::tuple2: push(make_small_tuple(o, 2)); break;
      case op::tuple3: push(make_small_tuple(o, 3)); break;
      case op::dict: push(make_dict()); break;
      case op::append: on_append(); break;
      case op::appends:
      case op::additems: on_appends(o); break;
      case op::setitem: on_setitem(); break;
      case op::setitems: on_setitems(); break;
      case op::binput: memo_put(u(1), o); break;
      case op::long_binput: memo_put(u(4), o); break;
      case op::memoize: memo_put(memo_.size(), o); break;
      case op::binget: memo_get(u(1)); break;
      case op::long_binget: memo_get(u(4)); break;
      case op::global: on_global(); break;
      case op::stack_global: on_stack_global(); break;
      case op::reduce:
      case op::newobj: on_call(o); break;
      case op::newobj_ex: on_newobj_ex(); break;
      case op::build: on_build(); break;
      case op::binpersid: on_binpersid(); break;
      default: refuse(byte);
    }
    return nullptr;
  }

  value* run() {
    for (;;) {
      b_.at(static_cast<std::size_t>(p_ - begin_));
      if (p_ == end_) fail("pickle ends without STOP (truncated?)");
      if (value* root = step(static_cast<unsigned char>(*p_++))) return root;
    }
  }

  const std::byte* p_;
  const std::byte* begin_;
  const std::byte* end_;
  detail::value_builder b_;
  unpickle_options opt_;
  std::vector<value*> stack_;
  std::vector<std::size_t> marks_;
  detail::pickle_memo memo_;
  std::unordered_map<const value*, std::unordered_map<std::size_t, std::size_t>>
      dict_index_;                                          ///< dict → key id → entry
  std::unordered_map<const value*, std::size_t> key_ids_;   ///< string key value → key id
  std::unordered_map<std::string, std::size_t> key_texts_;  ///< key text → key id
};

/// Unpickles one pickle from `bytes` with the restricted unpickler; `label` prefixes error messages.
inline pickle_document unpickle(byte_span bytes, const std::string& label, const unpickle_options& options = {}) {
  return unpickler(bytes, label, options).load();
}

}  // namespace graft::io
