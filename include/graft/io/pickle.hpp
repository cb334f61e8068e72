#pragma once
/// \file
/// A restricted unpickler for what torch.save writes (pickle protocols 2–5). It builds a small value
/// tree and never executes anything: globals are checked against a whitelist of torch tensor and
/// container types; any other global is refused with a checkpoint_error naming it. Every declared
/// length is checked against the remaining bytes before anything is allocated.

#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/tensor_meta.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft::io {

/// What a pickle value is.
enum class pickle_kind : std::uint8_t {
  none,         ///< None
  boolean,      ///< True/False
  integer,      ///< an int that fits int64
  big_integer,  ///< a longer int; `text` holds its little-endian two's-complement bytes
  floating,     ///< a float
  string,       ///< str (and Python 2 str)
  bytes,        ///< bytes / bytearray
  list,         ///< list (also set and frozenset)
  tuple,        ///< tuple
  dict,         ///< dict / OrderedDict, in insertion order
  global,       ///< a whitelisted global (class or function); `text` is "module.name"
  storage,      ///< a tensor storage reference (persistent id)
  tensor,       ///< a tensor rebuilt by torch._utils._rebuild_tensor(_v2) / _rebuild_parameter
  object        ///< an opaque instance (numpy scalar/dtype, TorchScript class); `text` is its class
};

/// A storage referenced by a persistent id ('storage', type, key, location, numel[, view]).
struct storage_ref {
  std::string key;               ///< storage key: zip record data/<key>, or legacy root key
  dtype type = dtype::float32;   ///< element type from the storage class
  std::string location;          ///< "cpu", "cuda:0", ...
  std::int64_t numel = 0;        ///< elements in the (root) storage
  std::int64_t view_offset = 0;  ///< legacy storage views: element offset into the root storage
  std::int64_t view_numel = -1;  ///< legacy storage views: elements in the view (-1: whole storage)
};

struct pickle_value;

/// A tensor as the pickle describes it (not yet bound to bytes).
struct tensor_ref {
  const pickle_value* storage = nullptr;    ///< the storage value (kind storage)
  std::int64_t storage_offset = 0;          ///< in elements
  shape_t shape;                            ///< sizes
  std::vector<std::int64_t> strides;        ///< strides in elements
  bool requires_grad = false;               ///< as pickled
  tensor_role role = tensor_role::unknown;  ///< param when rebuilt through _rebuild_parameter
};

/// One node of an unpickled value tree. Nodes are owned by their pickle_document.
struct pickle_value {
  pickle_kind kind = pickle_kind::none;  ///< what it is
  bool boolean = false;                  ///< kind boolean
  std::int64_t integer = 0;              ///< kind integer
  double floating = 0;                   ///< kind floating
  std::string text;                      ///< string, bytes, big_integer bytes, global/object class name
  std::vector<pickle_value*> items;      ///< list, tuple; object: its state (if any)
  std::vector<std::pair<pickle_value*, pickle_value*>> entries;  ///< dict, in insertion order

  /// Kind storage: the storage reference.
  const storage_ref& storage() const noexcept { return *storage_; }
  /// Kind tensor: the tensor description.
  const tensor_ref& tensor() const noexcept { return *tensor_; }
  /// Creates (if needed) and returns the storage reference (used while unpickling).
  storage_ref& storage_mut() {
    if (!storage_) storage_ = std::make_unique<storage_ref>();
    return *storage_;
  }
  /// Creates (if needed) and returns the tensor description (used while unpickling).
  tensor_ref& tensor_mut() {
    if (!tensor_) tensor_ = std::make_unique<tensor_ref>();
    return *tensor_;
  }

  /// True for a string equal to `s`.
  bool is_string(std::string_view s) const noexcept { return kind == pickle_kind::string && text == s; }
  /// For a dict: the value under string key `key`, or nullptr.
  const pickle_value* find(std::string_view key) const noexcept {
    for (const auto& [k, v] : entries)
      if (k->is_string(key)) return v;
    return nullptr;
  }

private:
  // Kept out of line so that the many plain values of a large pickle stay small.
  std::unique_ptr<storage_ref> storage_;
  std::unique_ptr<tensor_ref> tensor_;
};

/// A short name of a kind for messages ("dict", "tensor", ...).
inline const char* kind_name(pickle_kind k) noexcept {
  switch (k) {
    case pickle_kind::none: return "None";
    case pickle_kind::boolean: return "bool";
    case pickle_kind::integer:
    case pickle_kind::big_integer: return "int";
    case pickle_kind::floating: return "float";
    case pickle_kind::string: return "str";
    case pickle_kind::bytes: return "bytes";
    case pickle_kind::list: return "list";
    case pickle_kind::tuple: return "tuple";
    case pickle_kind::dict: return "dict";
    case pickle_kind::global: return "global";
    case pickle_kind::storage: return "storage";
    case pickle_kind::tensor: return "tensor";
    case pickle_kind::object: return "object";
  }
  return "?";
}

/// An unpickled value tree and the arena that owns its nodes.
class pickle_document {
public:
  /// The value the pickle evaluates to.
  const pickle_value& root() const noexcept { return *root_; }
  /// Bytes the pickle occupied, up to and including STOP.
  std::size_t consumed() const noexcept { return consumed_; }
  /// Every storage value the pickle referenced (persistent ids), in order of appearance.
  const std::vector<const pickle_value*>& storages() const noexcept { return storages_; }
  /// Every opaque object (kind object) the pickle built, in order of appearance.
  const std::vector<const pickle_value*>& objects() const noexcept { return objects_; }

private:
  friend class unpickler;
  std::vector<std::unique_ptr<pickle_value>> arena_;
  pickle_value* root_ = nullptr;
  std::size_t consumed_ = 0;
  std::vector<const pickle_value*> storages_;
  std::vector<const pickle_value*> objects_;
};

/// Limits and modes of the restricted unpickler.
struct unpickle_options {
  std::size_t max_mark_depth = 1000;  ///< deepest MARK nesting accepted
  std::size_t max_memo = 1u << 24;    ///< most memo entries
  std::size_t max_stack = 1u << 20;   ///< most values on the stack
  /// Most values plus container insertions per pickle: bounds memory on hostile input
  /// (a state dict with 100k tensors needs about 2M).
  std::size_t max_values = 1u << 23;
  /// TorchScript mode: classes under `__torch__.` (and torch.jit's storage helpers) are accepted as
  /// plain objects whose state is kept — still never executed.
  bool torchscript = false;
};

namespace detail {

/// The storage element type named by a torch storage class ("FloatStorage" → float32).
inline std::optional<dtype> storage_class_dtype(std::string_view name) noexcept {
  struct entry {
    std::string_view name;
    dtype type;
  };
  static constexpr entry table[] = {
      {"FloatStorage", dtype::float32},  {"HalfStorage", dtype::float16}, {"BFloat16Storage", dtype::bfloat16},
      {"DoubleStorage", dtype::float64}, {"CharStorage", dtype::int8},    {"ShortStorage", dtype::int16},
      {"IntStorage", dtype::int32},      {"LongStorage", dtype::int64},   {"ByteStorage", dtype::uint8},
      {"BoolStorage", dtype::bool_},
  };
  for (const auto& e : table)
    if (e.name == name) return e.type;
  return std::nullopt;
}

/// The torch storage class for a dtype ("FloatStorage").
inline std::string_view storage_class_name(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return "FloatStorage";
    case dtype::float16: return "HalfStorage";
    case dtype::bfloat16: return "BFloat16Storage";
    case dtype::float64: return "DoubleStorage";
    case dtype::int8: return "CharStorage";
    case dtype::int16: return "ShortStorage";
    case dtype::int32: return "IntStorage";
    case dtype::int64: return "LongStorage";
    case dtype::uint8: return "ByteStorage";
    case dtype::bool_: return "BoolStorage";
  }
  return "?";
}

/// True for the globals the unpickler accepts ("module.name").
inline bool allowed_global(std::string_view module, std::string_view name, bool torchscript) {
  if (module == "collections" && name == "OrderedDict") return true;
  if (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_tensor" ||
                                   name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state"))
    return true;
  if (module == "torch.cuda" && storage_class_dtype(name)) return true;  // storages saved from a GPU
  if (module == "torch") {
    if (storage_class_dtype(name)) return true;
    if (name == "Size" || name == "device") return true;
    if (parse_dtype("torch." + std::string(name))) return true;
  }
  if (module == "_codecs" && name == "encode") return true;
  if ((module == "builtins" || module == "__builtin__") && (name == "set" || name == "frozenset")) return true;
  // numpy scalars (e.g. a metric saved as numpy.float64): kept as opaque objects, never evaluated
  if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") && name == "scalar") return true;
  if (module == "numpy" && name == "dtype") return true;
  if (torchscript) {
    if (module.substr(0, 9) == "__torch__" && (module.size() == 9 || module[9] == '.')) return true;
    if (module == "torch.jit._pickle" &&
        (name == "build_intlist" || name == "build_doublelist" || name == "build_boollist" ||
         name == "build_tensorlist" || name == "restore_type_tag"))
      return true;
  }
  return false;
}

}  // namespace detail

/// The restricted unpickler. Use io::unpickle() unless you need several pickles from one buffer.
class unpickler {
public:
  /// Prepares to read the pickle in `bytes`; `label` (the file, maybe with a record) prefixes errors.
  unpickler(byte_span bytes, std::string label, unpickle_options options = {})
      : p_(bytes.data), begin_(bytes.data), end_(bytes.end()), label_(std::move(label)), opt_(options) {}

  /// Reads one pickle up to its STOP opcode.
  pickle_document load() {
    doc_ = pickle_document{};
    stack_.clear();
    marks_.clear();
    memo_.clear();
    dict_index_.clear();
    spent_ = 0;
    run();
    doc_.consumed_ = static_cast<std::size_t>(p_ - begin_);
    return std::move(doc_);
  }

private:
  using value = pickle_value;

  [[noreturn]] void fail(const std::string& what) const {
    throw checkpoint_error(label_ + ": pickle: " + what + " (at byte " + std::to_string(op_pos_) + ")");
  }

  void spend(std::size_t n) {
    if (n > opt_.max_values - spent_) fail("too many values (limit " + std::to_string(opt_.max_values) + ")");
    spent_ += n;
  }

  value* make(pickle_kind k) {
    spend(1);
    doc_.arena_.push_back(std::make_unique<value>());
    doc_.arena_.back()->kind = k;
    return doc_.arena_.back().get();
  }

  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

  const std::byte* take(std::uint64_t n) {
    if (n > left())
      fail("declared length " + std::to_string(n) + " exceeds the " + std::to_string(left()) +
           " bytes left (truncated?)");
    const std::byte* q = p_;
    p_ += n;
    return q;
  }
  std::uint64_t u(std::size_t n) {
    const std::byte* q = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(std::to_integer<unsigned>(q[i])) << (8 * i);
    return v;
  }
  std::string_view line() {
    const std::byte* q = p_;
    while (q != end_ && *q != std::byte{'\n'}) ++q;
    if (q == end_) fail("unterminated text line (truncated?)");
    std::string_view s = detail::as_chars(p_, static_cast<std::size_t>(q - p_));
    p_ = q + 1;
    return s;
  }

  void push(value* v) {
    if (stack_.size() >= opt_.max_stack) fail("stack too large");
    stack_.push_back(v);
  }
  std::size_t floor() const noexcept { return marks_.empty() ? 0 : marks_.back(); }
  value* pop(const char* op) {
    if (stack_.size() <= floor()) fail(std::string("stack underflow in ") + op);
    value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  value* top(const char* op) {
    if (stack_.size() <= floor()) fail(std::string("stack underflow in ") + op);
    return stack_.back();
  }
  /// Pops everything above the last MARK and the MARK itself.
  std::vector<value*> pop_mark(const char* op) {
    if (marks_.empty()) fail(std::string("missing MARK for ") + op);
    std::size_t m = marks_.back();
    marks_.pop_back();
    spend(stack_.size() - m);
    std::vector<value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  void memo_put(std::uint64_t idx, const char* op) {
    value* v = top(op);
    if (memo_.size() >= opt_.max_memo && memo_.find(idx) == memo_.end()) fail("memo too large");
    memo_[idx] = v;
  }
  void memo_get(std::uint64_t idx) {
    auto it = memo_.find(idx);
    if (it == memo_.end()) fail("memo key " + std::to_string(idx) + " is not defined");
    push(it->second);
  }

  value* make_string(pickle_kind k, std::uint64_t n) {
    const std::byte* q = take(n);
    value* v = make(k);
    v->text.assign(detail::as_chars(q, static_cast<std::size_t>(n)));
    return v;
  }
  value* make_int(std::int64_t i) {
    value* v = make(pickle_kind::integer);
    v->integer = i;
    return v;
  }
  value* make_long(std::uint64_t n) {
    const std::byte* q = take(n);
    if (n <= 8) {
      std::uint64_t x = 0;
      for (std::size_t i = 0; i < n; ++i) x |= static_cast<std::uint64_t>(std::to_integer<unsigned>(q[i])) << (8 * i);
      if (n > 0 && n < 8 && (std::to_integer<unsigned>(q[n - 1]) & 0x80)) x |= ~std::uint64_t{0} << (8 * n);
      return make_int(static_cast<std::int64_t>(x));
    }
    value* v = make(pickle_kind::big_integer);
    v->text.assign(detail::as_chars(q, static_cast<std::size_t>(n)));
    return v;
  }

  void global(std::string_view module, std::string_view name) {
    if (!detail::allowed_global(module, name, opt_.torchscript)) {
      std::string full = std::string(module) + "." + std::string(name);
      throw checkpoint_error(label_ + ": refused global " + detail::quote_name(full) +
                             " (only torch tensor and container globals are allowed)");
    }
    value* v = make(pickle_kind::global);
    v->text = std::string(module) + "." + std::string(name);
    push(v);
  }

  static bool is_int(const value* v) noexcept { return v->kind == pickle_kind::integer; }
  static bool is_seq(const value* v) noexcept { return v->kind == pickle_kind::tuple || v->kind == pickle_kind::list; }

  std::vector<std::int64_t> int_tuple(const value* v, const char* what) {
    if (!is_seq(v)) fail(std::string(what) + " is a " + kind_name(v->kind) + ", not a tuple");
    std::vector<std::int64_t> out;
    out.reserve(v->items.size());
    for (const value* x : v->items) {
      if (!is_int(x)) fail(std::string(what) + " holds a " + kind_name(x->kind) + ", not an int");
      out.push_back(x->integer);
    }
    return out;
  }

  value* rebuild_tensor(const std::string& fn, const value* args) {
    // _rebuild_tensor(storage, offset, size, stride)
    // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
    const auto& a = args->items;
    bool v2 = fn == "torch._utils._rebuild_tensor_v2";
    if (a.size() < 4 || (v2 && a.size() < 6)) fail(fn + " called with " + std::to_string(a.size()) + " arguments");
    if (a[0]->kind != pickle_kind::storage)
      fail(fn + ": first argument is a " + kind_name(a[0]->kind) + ", not a storage");
    if (!is_int(a[1])) fail(fn + ": storage offset is not an int");
    value* t = make(pickle_kind::tensor);
    t->tensor_mut().storage = a[0];
    t->tensor_mut().storage_offset = a[1]->integer;
    t->tensor_mut().shape = int_tuple(a[2], "tensor size");
    t->tensor_mut().strides = int_tuple(a[3], "tensor stride");
    if (t->tensor_mut().shape.size() != t->tensor_mut().strides.size())
      fail(fn + ": size has " + std::to_string(t->tensor_mut().shape.size()) + " dimensions but stride has " +
           std::to_string(t->tensor_mut().strides.size()));
    if (v2 && a[4]->kind == pickle_kind::boolean) t->tensor_mut().requires_grad = a[4]->boolean;
    return t;
  }

  value* call(value* callable, value* args, const char* op) {
    if (callable->kind != pickle_kind::global)
      fail(std::string(op) + " on a " + kind_name(callable->kind) + ", not a callable");
    if (args->kind != pickle_kind::tuple)
      fail(std::string(op) + " with arguments that are a " + kind_name(args->kind) + ", not a tuple");
    const std::string& fn = callable->text;
    const auto& a = args->items;
    if (fn == "collections.OrderedDict") {
      value* d = make(pickle_kind::dict);
      if (!a.empty()) {
        if (a.size() != 1 || !is_seq(a[0])) fail("OrderedDict called with unexpected arguments");
        for (value* kv : a[0]->items) {
          if (!is_seq(kv) || kv->items.size() != 2) fail("OrderedDict item is not a pair");
          d->entries.emplace_back(kv->items[0], kv->items[1]);
        }
      }
      return d;
    }
    if (fn == "torch._utils._rebuild_tensor_v2" || fn == "torch._utils._rebuild_tensor")
      return rebuild_tensor(fn, args);
    if (fn == "torch._utils._rebuild_parameter" || fn == "torch._utils._rebuild_parameter_with_state") {
      if (a.size() < 2 || a[0]->kind != pickle_kind::tensor) fail(fn + " called without a tensor");
      value* t = make(pickle_kind::tensor);
      t->tensor_mut() = a[0]->tensor();
      t->tensor_mut().role = tensor_role::param;
      if (a[1]->kind == pickle_kind::boolean) t->tensor_mut().requires_grad = a[1]->boolean;
      return t;
    }
    if (fn == "torch.Size") {
      if (a.size() != 1 || !is_seq(a[0])) fail("torch.Size called with unexpected arguments");
      value* t = make(pickle_kind::tuple);
      t->items = a[0]->items;
      return t;
    }
    if (fn == "torch.device") {
      value* s = make(pickle_kind::string);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) s->text += ":";
        if (a[i]->kind == pickle_kind::string)
          s->text += a[i]->text;
        else if (is_int(a[i]))
          s->text += std::to_string(a[i]->integer);
        else
          fail("torch.device called with unexpected arguments");
      }
      return s;
    }
    if (fn == "_codecs.encode") {
      if (a.size() != 2 || a[0]->kind != pickle_kind::string || a[1]->kind != pickle_kind::string ||
          (a[1]->text != "latin1" && a[1]->text != "latin-1"))
        fail("_codecs.encode called with unexpected arguments");
      // Python 2-protocol bytes: a latin-1 string whose code points are the bytes; undo UTF-8.
      value* b = make(pickle_kind::bytes);
      const std::string& s = a[0]->text;
      for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
          b->text.push_back(static_cast<char>(c));
        } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size() && c <= 0xc3) {
          b->text.push_back(static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3f)));
          ++i;
        } else {
          fail("_codecs.encode: string is not latin-1");
        }
      }
      return b;
    }
    if (fn == "builtins.set" || fn == "builtins.frozenset" || fn == "__builtin__.set" ||
        fn == "__builtin__.frozenset") {
      value* l = make(pickle_kind::list);
      if (a.size() == 1 && is_seq(a[0]))
        l->items = a[0]->items;
      else if (!a.empty())
        fail(fn + " called with unexpected arguments");
      return l;
    }
    if (fn == "numpy.dtype" || fn == "numpy.core.multiarray.scalar" || fn == "numpy._core.multiarray.scalar") {
      value* o = make(pickle_kind::object);
      o->text = fn;
      return o;
    }
    if (opt_.torchscript) {
      if (fn.rfind("torch.jit._pickle.", 0) == 0) {
        if (fn == "torch.jit._pickle.restore_type_tag") {
          if (a.empty()) fail(fn + " called without arguments");
          return a[0];
        }
        if (a.size() != 1 || !is_seq(a[0])) fail(fn + " called with unexpected arguments");
        value* l = make(pickle_kind::list);
        l->items = a[0]->items;
        return l;
      }
      if (fn.rfind("__torch__", 0) == 0) {
        value* o = make(pickle_kind::object);
        o->text = fn;
        doc_.objects_.push_back(o);
        return o;
      }
    }
    fail(std::string(op) + " of " + detail::quote_name(fn) + " is not supported");
  }

  value* persistent(value* pid) {
    // ('storage', storage_type, key, location, numel[, view_metadata])
    if (pid->kind != pickle_kind::tuple || pid->items.size() < 5 || !pid->items[0]->is_string("storage"))
      fail("unsupported persistent id (expected a ('storage', type, key, location, numel) tuple)");
    const auto& a = pid->items;
    if (a[1]->kind != pickle_kind::global) fail("persistent id: storage type is not a global");
    std::string_view cls = a[1]->text;
    if (cls.rfind("torch.", 0) == 0) cls.remove_prefix(6);
    if (cls.rfind("cuda.", 0) == 0) cls.remove_prefix(5);
    if (!detail::storage_class_dtype(cls))
      fail("persistent id: unknown storage type " + detail::quote_name(a[1]->text));
    if (a[2]->kind != pickle_kind::string) fail("persistent id: storage key is not a string");
    if (a[3]->kind != pickle_kind::string) fail("persistent id: storage location is not a string");
    if (!is_int(a[4]) || a[4]->integer < 0) fail("persistent id: storage size is not a non-negative int");
    value* s = make(pickle_kind::storage);
    s->storage_mut().type = *detail::storage_class_dtype(cls);
    s->storage_mut().key = a[2]->text;
    s->storage_mut().location = a[3]->text;
    s->storage_mut().numel = a[4]->integer;
    if (a.size() >= 6 && a[5]->kind != pickle_kind::none) {
      const value* vm = a[5];
      if (!is_seq(vm) || vm->items.size() != 3 || vm->items[0]->kind != pickle_kind::string || !is_int(vm->items[1]) ||
          !is_int(vm->items[2]) || vm->items[1]->integer < 0 || vm->items[2]->integer < 0)
        fail("persistent id: malformed storage view metadata");
      s->storage_mut().view_offset = vm->items[1]->integer;
      s->storage_mut().view_numel = vm->items[2]->integer;
      if (s->storage_mut().view_offset > s->storage_mut().numel ||
          s->storage_mut().view_numel > s->storage_mut().numel - s->storage_mut().view_offset)
        fail("persistent id: storage view lies outside its storage");
    }
    doc_.storages_.push_back(s);
    return s;
  }

  void setitems(value* d, const std::vector<value*>& kv, const char* op) {
    if (d->kind != pickle_kind::dict) fail(std::string(op) + " on a " + kind_name(d->kind) + ", not a dict");
    if (kv.size() % 2) fail(std::string(op) + " with an odd number of items");
    spend(kv.size() / 2);
    for (std::size_t i = 0; i < kv.size(); i += 2) {
      if (kv[i]->kind == pickle_kind::string) {
        auto& index = dict_index_[d];
        auto [it, fresh] = index.emplace(kv[i]->text, d->entries.size());
        if (!fresh) {
          d->entries[it->second].second = kv[i + 1];  // a repeated key replaces the value, as in Python
          continue;
        }
      }
      d->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }
  void appends(value* l, const std::vector<value*>& xs, const char* op) {
    if (l->kind != pickle_kind::list) fail(std::string(op) + " on a " + kind_name(l->kind) + ", not a list");
    spend(xs.size());
    l->items.insert(l->items.end(), xs.begin(), xs.end());
  }

  void run() {
    for (;;) {
      op_pos_ = static_cast<std::size_t>(p_ - begin_);
      if (p_ == end_) fail("pickle ends without STOP (truncated?)");
      auto op = static_cast<unsigned char>(*p_++);
      switch (op) {
        case 0x80: {  // PROTO
          auto v = u(1);
          if (v < 2 || v > 5) fail("unsupported pickle protocol " + std::to_string(v));
          break;
        }
        case 0x95: {  // FRAME
          auto n = u(8);
          if (n > left())
            fail("frame of " + std::to_string(n) + " bytes exceeds the " + std::to_string(left()) + " bytes left");
          break;
        }
        case '.': {  // STOP
          if (!marks_.empty()) fail("STOP inside an open MARK");
          if (stack_.size() != 1)
            fail("STOP with " + std::to_string(stack_.size()) + " values on the stack (expected 1)");
          doc_.root_ = stack_.back();
          return;
        }
        case '(':  // MARK
          if (marks_.size() >= opt_.max_mark_depth) fail("nesting deeper than " + std::to_string(opt_.max_mark_depth));
          marks_.push_back(stack_.size());
          break;
        case '0': pop("POP"); break;
        case '1': pop_mark("POP_MARK"); break;
        case '2': push(top("DUP")); break;
        case 'N': push(make(pickle_kind::none)); break;
        case 0x88:
        case 0x89: {
          value* v = make(pickle_kind::boolean);
          v->boolean = op == 0x88;
          push(v);
          break;
        }
        case 'J': push(make_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(u(4))))); break;
        case 'K': push(make_int(static_cast<std::int64_t>(u(1)))); break;
        case 'M': push(make_int(static_cast<std::int64_t>(u(2)))); break;
        case 0x8a: push(make_long(u(1))); break;  // LONG1
        case 0x8b: {                              // LONG4
          auto n = static_cast<std::int32_t>(static_cast<std::uint32_t>(u(4)));
          if (n < 0) fail("negative LONG4 length");
          push(make_long(static_cast<std::uint64_t>(n)));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          const std::byte* q = take(8);
          std::uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | std::to_integer<unsigned>(q[i]);
          value* v = make(pickle_kind::floating);
          std::memcpy(&v->floating, &bits, 8);
          push(v);
          break;
        }
        case 0x8c: push(make_string(pickle_kind::string, u(1))); break;  // SHORT_BINUNICODE
        case 'X': push(make_string(pickle_kind::string, u(4))); break;   // BINUNICODE
        case 0x8d: push(make_string(pickle_kind::string, u(8))); break;  // BINUNICODE8
        case 'U': push(make_string(pickle_kind::string, u(1))); break;   // SHORT_BINSTRING
        case 'T': {                                                      // BINSTRING
          auto n = static_cast<std::int32_t>(static_cast<std::uint32_t>(u(4)));
          if (n < 0) fail("negative BINSTRING length");
          push(make_string(pickle_kind::string, static_cast<std::uint64_t>(n)));
          break;
        }
        case 'C': push(make_string(pickle_kind::bytes, u(1))); break;   // SHORT_BINBYTES
        case 'B': push(make_string(pickle_kind::bytes, u(4))); break;   // BINBYTES
        case 0x8e: push(make_string(pickle_kind::bytes, u(8))); break;  // BINBYTES8
        case 0x96: push(make_string(pickle_kind::bytes, u(8))); break;  // BYTEARRAY8
        case '}': push(make(pickle_kind::dict)); break;
        case ']': push(make(pickle_kind::list)); break;
        case ')': push(make(pickle_kind::tuple)); break;
        case 0x8f: push(make(pickle_kind::list)); break;  // EMPTY_SET
        case 't': {
          auto items = pop_mark("TUPLE");
          value* v = make(pickle_kind::tuple);
          v->items = std::move(items);
          push(v);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          std::size_t n = op - 0x84u;
          if (stack_.size() < floor() + n) fail("stack underflow in TUPLE" + std::to_string(n));
          value* v = make(pickle_kind::tuple);
          v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(v);
          break;
        }
        case 'l': {  // LIST
          auto items = pop_mark("LIST");
          value* v = make(pickle_kind::list);
          v->items = std::move(items);
          push(v);
          break;
        }
        case 0x91: {  // FROZENSET
          auto items = pop_mark("FROZENSET");
          value* v = make(pickle_kind::list);
          v->items = std::move(items);
          push(v);
          break;
        }
        case 'd': {  // DICT
          auto items = pop_mark("DICT");
          value* v = make(pickle_kind::dict);
          setitems(v, items, "DICT");
          push(v);
          break;
        }
        case 'a': {
          value* x = pop("APPEND");
          appends(top("APPEND"), {x}, "APPEND");
          break;
        }
        case 'e': {
          auto items = pop_mark("APPENDS");
          appends(top("APPENDS"), items, "APPENDS");
          break;
        }
        case 0x90: {  // ADDITEMS
          auto items = pop_mark("ADDITEMS");
          appends(top("ADDITEMS"), items, "ADDITEMS");
          break;
        }
        case 's': {
          value* v = pop("SETITEM");
          value* k = pop("SETITEM");
          setitems(top("SETITEM"), {k, v}, "SETITEM");
          break;
        }
        case 'u': {
          auto items = pop_mark("SETITEMS");
          setitems(top("SETITEMS"), items, "SETITEMS");
          break;
        }
        case 'q': memo_put(u(1), "BINPUT"); break;
        case 'r': memo_put(u(4), "LONG_BINPUT"); break;
        case 0x94: memo_put(memo_.size(), "MEMOIZE"); break;
        case 'h': memo_get(u(1)); break;
        case 'j': memo_get(u(4)); break;
        case 'c': {  // GLOBAL
          std::string module(line());
          std::string name(line());
          global(module, name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          value* name = pop("STACK_GLOBAL");
          value* module = pop("STACK_GLOBAL");
          if (name->kind != pickle_kind::string || module->kind != pickle_kind::string)
            fail("STACK_GLOBAL with non-string module or name");
          global(module->text, name->text);
          break;
        }
        case 'R': {
          value* args = pop("REDUCE");
          value* fn = pop("REDUCE");
          push(call(fn, args, "REDUCE"));
          break;
        }
        case 0x81: {  // NEWOBJ
          value* args = pop("NEWOBJ");
          value* cls = pop("NEWOBJ");
          push(call(cls, args, "NEWOBJ"));
          break;
        }
        case 0x92: {  // NEWOBJ_EX
          value* kwargs = pop("NEWOBJ_EX");
          value* args = pop("NEWOBJ_EX");
          value* cls = pop("NEWOBJ_EX");
          if (kwargs->kind != pickle_kind::dict || !kwargs->entries.empty()) fail("NEWOBJ_EX with keyword arguments");
          push(call(cls, args, "NEWOBJ_EX"));
          break;
        }
        case 'b': {  // BUILD
          value* state = pop("BUILD");
          value* obj = top("BUILD");
          if (obj->kind == pickle_kind::object) {
            obj->items.assign(1, state);
          } else if (obj->kind != pickle_kind::dict && obj->kind != pickle_kind::tensor) {
            fail(std::string("BUILD on a ") + kind_name(obj->kind));
          }
          break;
        }
        case 'Q': push(persistent(pop("BINPERSID"))); break;
        default: {
          static const char hex[] = "0123456789abcdef";
          std::string h = "0x";
          h += hex[op >> 4];
          h += hex[op & 15];
          fail("unsupported or unsafe opcode " + h +
               (op >= 0x20 && op < 0x7f ? std::string(" '") + static_cast<char>(op) + "'" : std::string()));
        }
      }
    }
  }

  const std::byte* p_;
  const std::byte* begin_;
  const std::byte* end_;
  std::string label_;
  unpickle_options opt_;
  std::size_t op_pos_ = 0;
  std::size_t spent_ = 0;
  pickle_document doc_;
  std::vector<value*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, value*> memo_;
  std::unordered_map<const value*, std::unordered_map<std::string, std::size_t>> dict_index_;
};

/// Unpickles one pickle from `bytes` with the restricted unpickler; `label` prefixes error messages.
inline pickle_document unpickle(byte_span bytes, const std::string& label, const unpickle_options& options = {}) {
  return unpickler(bytes, label, options).load();
}

}  // namespace graft::io
