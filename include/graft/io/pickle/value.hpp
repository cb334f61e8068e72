#pragma once
/// \file
/// The values the restricted unpickler builds: kinds, value nodes, the document that owns them, and
/// the builder that allocates them under the unpickler's value limit.

#include <graft/error.hpp>
#include <graft/tensor_meta.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  tensor,       ///< a tensor rebuilt by torch._utils._rebuild_tensor(_v2, _v3) / _rebuild_parameter
  object        ///< an opaque instance (numpy scalar/dtype, TorchScript class); `text` is its class
};

/// A storage referenced by a persistent id ('storage', type, key, location, numel[, view]).
struct storage_ref {
  std::string key;                 ///< storage key: zip record data/<key>, or legacy root key
  dtype type = dtype::float32;     ///< element type from the storage class
  std::string location;            ///< "cpu", "cuda:0", ...
  std::int64_t numel = 0;          ///< elements in the (root) storage
  std::int64_t view_offset = 0;    ///< legacy storage views: element offset into the root storage
  std::int64_t view_numel = -1;    ///< legacy storage views: elements in the view (-1: whole storage)
  bool untyped = false;            ///< a torch.UntypedStorage (PyTorch 2.x): `type` is uint8, `numel` is bytes
  std::optional<dtype> viewed_as;  ///< untyped: the dtype _rebuild_tensor_v3 views it as (first one seen)
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
  std::optional<dtype> type;                ///< _rebuild_tensor_v3's dtype; otherwise the storage's type
};

/// One node of an unpickled value tree. Nodes are owned by their pickle_document.
struct pickle_value {
  pickle_kind kind = pickle_kind::none;  ///< what it is
  bool boolean = false;                  ///< kind boolean
  std::int64_t integer = 0;              ///< kind integer; kind global: its row in detail::torch_globals
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

namespace detail {
class value_builder;
}  // namespace detail

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
  friend class detail::value_builder;
  std::vector<std::unique_ptr<pickle_value>> arena_;
  pickle_value* root_ = nullptr;
  std::size_t consumed_ = 0;
  std::vector<const pickle_value*> storages_;
  std::vector<const pickle_value*> objects_;
};

namespace detail {

/// Builds one pickle's document (internal; used by the unpickler and the handlers of its globals):
/// allocates values into the arena, counts values and container insertions against the limit,
/// charges the bytes of everything it materialises (nodes, text, container slots, copies made from
/// memoized values) against a memory budget, and words errors as
/// "<label>: pickle: <what> (at byte <offset of the current opcode>)".
class value_builder {
public:
  /// What one value node costs: the node, its heap block and its arena slot.
  static constexpr std::size_t node_bytes = sizeof(pickle_value) + 2 * sizeof(void*);

  /// A builder for pickles read from `label` (the file, maybe with a record), at most `max_values`
  /// values and `max_bytes` bytes of materialised values.
  value_builder(std::string label, std::size_t max_values, std::size_t max_bytes = ~std::size_t{0})
      : label_(std::move(label)), max_values_(max_values), max_bytes_(max_bytes) {}

  /// The label that prefixes errors.
  const std::string& label() const noexcept { return label_; }
  /// Starts a new document.
  void reset() {
    doc_ = pickle_document{};
    spent_ = 0;
    bytes_ = 0;
    for (auto& s : shared_) s = nullptr;
  }
  /// Records the offset of the opcode being run, for errors.
  void at(std::size_t offset) noexcept { offset_ = offset; }
  /// Throws a checkpoint_error about the current opcode.
  [[noreturn]] void fail(const std::string& what) const {
    throw checkpoint_error(label_ + ": pickle: " + what + " (at byte " + std::to_string(offset_) + ")");
  }
  /// Counts `n` values or insertions against the limit.
  void spend(std::size_t n) {
    if (n > max_values_ - spent_) fail("too many values (limit " + std::to_string(max_values_) + ")");
    spent_ += n;
  }
  /// Charges `n` bytes of materialised values against the memory budget.
  void charge(std::size_t n) {
    if (n > max_bytes_ - bytes_)
      fail("the values built need more than " + std::to_string(max_bytes_) +
           " bytes (the memory budget: unpickle_options::memory_factor x the pickle's size + memory_floor)");
    bytes_ += n;
  }
  /// Bytes charged so far in this document.
  std::size_t charged() const noexcept { return bytes_; }
  /// A new value of kind `k`, owned by the document.
  pickle_value* make(pickle_kind k) {
    spend(1);
    charge(node_bytes);
    doc_.arena_.push_back(std::make_unique<pickle_value>());
    doc_.arena_.back()->kind = k;
    return doc_.arena_.back().get();
  }
  /// The document's one value of an immutable kind (None; True and False through `x`), shared by
  /// every use instead of a node per opcode (each use still counts as a value against the limit).
  pickle_value* shared(pickle_kind k, bool x = false) {
    pickle_value*& v = shared_[k == pickle_kind::none ? 0 : x ? 2 : 1];
    if (v != nullptr) {
      spend(1);
      return v;
    }
    v = make(k);
    v->boolean = x;
    return v;
  }
  /// `dst` = `src`'s items (a copy of the pointers: the values themselves are shared), charged.
  void copy_items(pickle_value& dst, const pickle_value& src) {
    spend(src.items.size());
    charge(src.items.size() * sizeof(pickle_value*));
    dst.items = src.items;
  }
  /// Charges the text of `v` (after it was filled) and returns `v`.
  pickle_value* charged_text(pickle_value* v) {
    charge(v->text.size());
    return v;
  }
  /// Lists a storage value in the document.
  void add_storage(const pickle_value* s) { doc_.storages_.push_back(s); }
  /// Lists an opaque object in the document.
  void add_object(const pickle_value* o) { doc_.objects_.push_back(o); }
  /// The finished document: its value and the bytes it took; the builder is left empty.
  pickle_document finish(pickle_value* root, std::size_t consumed) {
    doc_.root_ = root;
    doc_.consumed_ = consumed;
    return std::move(doc_);
  }

private:
  std::string label_;
  std::size_t max_values_;
  std::size_t max_bytes_;
  std::size_t spent_ = 0;
  std::size_t bytes_ = 0;
  pickle_value* shared_[3] = {nullptr, nullptr, nullptr};  ///< None, False, True
  std::size_t offset_ = 0;
  pickle_document doc_;
};

}  // namespace detail

}  // namespace graft::io
