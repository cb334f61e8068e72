#pragma once
/// \file
/// The globals the restricted unpickler accepts and what calling each one builds, as one table
/// (detail::torch_globals): a global is accepted exactly when a row matches it, and the row's
/// handler is what REDUCE / NEWOBJ of it makes. Also torch's persistent ids (storage references).
/// Nothing here runs Python: every handler builds plain values.

#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle/value.hpp>
#include <graft/tensor_meta.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io::detail {

/// PyTorch 2.x's untyped storage class, in persistent ids of the dtypes _rebuild_tensor_v3 builds.
inline constexpr std::string_view untyped_storage_class = "UntypedStorage";

/// The storage element type named by a torch storage class ("FloatStorage" → float32; "UntypedStorage":
/// bytes, uint8).
inline std::optional<dtype> storage_class_dtype(std::string_view name) noexcept {
  if (name == untyped_storage_class) return dtype::uint8;
  return find_dtype(&dtype_row::storage_class, name);
}

/// The torch storage class for a dtype ("FloatStorage").
inline std::string_view storage_class_name(dtype t) noexcept { return dtype_info(t).storage_class; }

/// The arguments of a call: the positional arguments of REDUCE / NEWOBJ.
using pickle_args = std::vector<pickle_value*>;

/// What calling an allowed global builds: `fn` is its "module.name", `a` its arguments.
using global_handler = pickle_value* (*)(value_builder& b, const std::string& fn, const pickle_args& a);

/// Where a global is accepted.
enum class global_scope : std::uint8_t {
  always,      ///< in every pickle
  torchscript  ///< in TorchScript archives only (unpickle_options::torchscript)
};

/// One allowed global: which "module.name" it matches, where, and what calling it builds.
struct global_row {
  std::string_view module;                          ///< the module
  std::string_view name;                            ///< the name; "*": any name `family` accepts
  global_handler build = nullptr;                   ///< what calling it builds; nullptr: not callable
  bool (*family)(std::string_view name) = nullptr;  ///< for name "*": which names (nullptr: all)
  global_scope scope = global_scope::always;        ///< where it is accepted
  bool submodules = false;                          ///< also matches the modules under `module`
};

/// The handlers of the rows of torch_globals and their argument checks.
namespace globals {

/// True for an int that fits int64.
inline bool is_int(const pickle_value* v) noexcept { return v->kind == pickle_kind::integer; }
/// True for a tuple or a list.
inline bool is_seq(const pickle_value* v) noexcept {
  return v->kind == pickle_kind::tuple || v->kind == pickle_kind::list;
}

/// A tuple (or list) of ints; `what` names it in errors.
inline std::vector<std::int64_t> int_tuple(value_builder& b, const pickle_value* v, const char* what) {
  if (!is_seq(v)) b.fail(std::string(what) + " is a " + kind_name(v->kind) + ", not a tuple");
  std::vector<std::int64_t> out;
  out.reserve(v->items.size());
  for (const pickle_value* x : v->items) {
    if (!is_int(x)) b.fail(std::string(what) + " holds a " + kind_name(x->kind) + ", not an int");
    out.push_back(x->integer);
  }
  return out;
}

/// collections.OrderedDict([(key, value), ...]) → a dict.
inline pickle_value* ordered_dict(value_builder& b, const std::string&, const pickle_args& a) {
  pickle_value* d = b.make(pickle_kind::dict);
  if (!a.empty()) {
    if (a.size() != 1 || !is_seq(a[0])) b.fail("OrderedDict called with unexpected arguments");
    for (pickle_value* kv : a[0]->items) {
      if (!is_seq(kv) || kv->items.size() != 2) b.fail("OrderedDict item is not a pair");
      b.spend(1);
      b.charge(sizeof(d->entries[0]));
      d->entries.emplace_back(kv->items[0], kv->items[1]);
    }
  }
  return d;
}

/// The arguments both _rebuild_tensor versions share: (storage, offset, size, stride, ...).
inline pickle_value* rebuild_tensor(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a[0]->kind != pickle_kind::storage)
    b.fail(fn + ": first argument is a " + kind_name(a[0]->kind) + ", not a storage");
  if (!is_int(a[1])) b.fail(fn + ": storage offset is not an int");
  pickle_value* t = b.make(pickle_kind::tensor);
  tensor_ref& r = t->tensor_mut();
  r.storage = a[0];
  r.storage_offset = a[1]->integer;
  b.charge(sizeof(tensor_ref) + (a[2]->items.size() + a[3]->items.size()) * sizeof(std::int64_t));
  r.shape = int_tuple(b, a[2], "tensor size");
  r.strides = int_tuple(b, a[3], "tensor stride");
  if (r.shape.size() != r.strides.size())
    b.fail(fn + ": size has " + std::to_string(r.shape.size()) + " dimensions but stride has " +
           std::to_string(r.strides.size()));
  return t;
}

/// torch._utils._rebuild_tensor(storage, offset, size, stride) → a tensor.
inline pickle_value* rebuild_tensor_v1(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.size() < 4) b.fail(fn + " called with " + std::to_string(a.size()) + " arguments");
  return rebuild_tensor(b, fn, a);
}

/// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[,
/// metadata]) → a tensor.
inline pickle_value* rebuild_tensor_v2(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.size() < 6) b.fail(fn + " called with " + std::to_string(a.size()) + " arguments");
  pickle_value* t = rebuild_tensor(b, fn, a);
  if (a[4]->kind == pickle_kind::boolean) t->tensor_mut().requires_grad = a[4]->boolean;
  return t;
}

/// torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, backward_hooks, dtype[,
/// metadata]) → a tensor of `dtype` (PyTorch 2.x, for the dtypes without a typed storage class). The storage
/// is an UntypedStorage (bytes); offset and strides count elements of `dtype`, as Tensor.set_ reads them.
inline pickle_value* rebuild_tensor_v3(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.size() < 7) b.fail(fn + " called with " + std::to_string(a.size()) + " arguments");
  if (a[6]->kind != pickle_kind::global)
    b.fail(fn + ": dtype is a " + std::string(kind_name(a[6]->kind)) + ", not a torch dtype");
  std::optional<dtype> type = parse_dtype(a[6]->text);
  if (!type) b.fail(fn + ": " + quote_name(a[6]->text) + " is not a dtype graft reads");
  pickle_value* t = rebuild_tensor_v2(b, fn, a);
  storage_ref& s = a[0]->storage_mut();
  if (!s.untyped && s.type != *type)
    b.fail(fn + ": a " + std::string(dtype_name(*type)) + " tensor on a " + std::string(dtype_name(s.type)) +
           " storage");
  if (s.untyped && !s.viewed_as) s.viewed_as = type;
  if (s.untyped && *s.viewed_as != *type)
    b.fail(fn + ": storage " + quote_name(s.key) + " is viewed as both " + std::string(dtype_name(*s.viewed_as)) +
           " and " + std::string(dtype_name(*type)));
  t->tensor_mut().type = type;
  return t;
}

/// torch._utils._rebuild_parameter(tensor, requires_grad, backward_hooks[, state]) → a parameter.
inline pickle_value* rebuild_parameter(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.size() < 2 || a[0]->kind != pickle_kind::tensor) b.fail(fn + " called without a tensor");
  pickle_value* t = b.make(pickle_kind::tensor);
  b.charge(sizeof(tensor_ref) + (a[0]->tensor().shape.size() + a[0]->tensor().strides.size()) * sizeof(std::int64_t));
  t->tensor_mut() = a[0]->tensor();
  t->tensor_mut().role = tensor_role::param;
  if (a[1]->kind == pickle_kind::boolean) t->tensor_mut().requires_grad = a[1]->boolean;
  return t;
}

/// torch.Size((sizes...)) → a tuple.
inline pickle_value* torch_size(value_builder& b, const std::string&, const pickle_args& a) {
  if (a.size() != 1 || !is_seq(a[0])) b.fail("torch.Size called with unexpected arguments");
  pickle_value* t = b.make(pickle_kind::tuple);
  b.copy_items(*t, *a[0]);
  return t;
}

/// torch.device(type[, index]) → a string ("cuda:0").
inline pickle_value* torch_device(value_builder& b, const std::string&, const pickle_args& a) {
  pickle_value* s = b.make(pickle_kind::string);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i) s->text += ":";
    if (a[i]->kind == pickle_kind::string)
      s->text += a[i]->text;
    else if (is_int(a[i]))
      s->text += std::to_string(a[i]->integer);
    else
      b.fail("torch.device called with unexpected arguments");
  }
  return b.charged_text(s);
}

/// _codecs.encode(text, 'latin1') → bytes: how protocol 2 pickles `bytes` (a latin-1 string whose
/// code points are the bytes; the UTF-8 of the pickle is undone).
inline pickle_value* codecs_encode(value_builder& b, const std::string&, const pickle_args& a) {
  if (a.size() != 2 || a[0]->kind != pickle_kind::string || a[1]->kind != pickle_kind::string ||
      (a[1]->text != "latin1" && a[1]->text != "latin-1"))
    b.fail("_codecs.encode called with unexpected arguments");
  pickle_value* out = b.make(pickle_kind::bytes);
  const std::string& s = a[0]->text;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out->text.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size() && c <= 0xc3) {
      out->text.push_back(static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3f)));
      ++i;
    } else {
      b.fail("_codecs.encode: string is not latin-1");
    }
  }
  return b.charged_text(out);
}

/// set() / set([items]) / frozenset(...) → a list.
inline pickle_value* set_as_list(value_builder& b, const std::string& fn, const pickle_args& a) {
  pickle_value* l = b.make(pickle_kind::list);
  if (a.size() == 1 && is_seq(a[0]))
    b.copy_items(*l, *a[0]);
  else if (!a.empty())
    b.fail(fn + " called with unexpected arguments");
  return l;
}

/// numpy scalars and dtypes → an opaque object of that class, never evaluated.
inline pickle_value* opaque(value_builder& b, const std::string& fn, const pickle_args&) {
  pickle_value* o = b.make(pickle_kind::object);
  o->text = fn;
  return b.charged_text(o);
}

/// A TorchScript class → an opaque object (its state comes with BUILD), listed in the document.
inline pickle_value* script_object(value_builder& b, const std::string& fn, const pickle_args& a) {
  pickle_value* o = opaque(b, fn, a);
  b.add_object(o);
  return o;
}

/// torch.jit._pickle.build_{int,double,bool,tensor}list((items...)) → a list.
inline pickle_value* jit_list(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.size() != 1 || !is_seq(a[0])) b.fail(fn + " called with unexpected arguments");
  pickle_value* l = b.make(pickle_kind::list);
  b.copy_items(*l, *a[0]);
  return l;
}

/// torch.jit._pickle.restore_type_tag(value, type) → the value itself.
inline pickle_value* restore_type_tag(value_builder& b, const std::string& fn, const pickle_args& a) {
  if (a.empty()) b.fail(fn + " called without arguments");
  return a[0];
}

/// The torch storage classes ("FloatStorage", ...).
inline bool storage_class(std::string_view name) { return storage_class_dtype(name).has_value(); }
/// The dtype names parse_dtype knows, as attributes of torch ("float32", "half", ...).
inline bool dtype_name(std::string_view name) { return parse_dtype("torch." + std::string(name)).has_value(); }

}  // namespace globals

/// Every global the unpickler accepts, and what calling it builds. A global no row matches is
/// refused. Rows without a handler are only referred to (storage types in persistent ids, dtypes).
inline constexpr global_row torch_globals[] = {
    {"collections", "OrderedDict", &globals::ordered_dict},
    {"torch._utils", "_rebuild_tensor", &globals::rebuild_tensor_v1},
    {"torch._utils", "_rebuild_tensor_v2", &globals::rebuild_tensor_v2},
    {"torch._utils", "_rebuild_tensor_v3", &globals::rebuild_tensor_v3},
    {"torch._utils", "_rebuild_parameter", &globals::rebuild_parameter},
    {"torch._utils", "_rebuild_parameter_with_state", &globals::rebuild_parameter},
    {"torch", "*", nullptr, &globals::storage_class},
    {"torch.cuda", "*", nullptr, &globals::storage_class},  // storages saved from a GPU
    {"torch.storage", "UntypedStorage"},                    // PyTorch 2.x: how torch.UntypedStorage pickles
    {"torch", "Size", &globals::torch_size},
    {"torch", "device", &globals::torch_device},
    {"torch", "*", nullptr, &globals::dtype_name},
    {"_codecs", "encode", &globals::codecs_encode},
    {"builtins", "set", &globals::set_as_list},
    {"builtins", "frozenset", &globals::set_as_list},
    {"__builtin__", "set", &globals::set_as_list},
    {"__builtin__", "frozenset", &globals::set_as_list},
    // numpy scalars (e.g. a metric saved as numpy.float64): kept as opaque objects, never evaluated
    {"numpy.core.multiarray", "scalar", &globals::opaque},
    {"numpy._core.multiarray", "scalar", &globals::opaque},
    {"numpy", "dtype", &globals::opaque},
    // TorchScript archives: the classes of the scripted modules, and torch.jit's container helpers
    {"__torch__", "*", &globals::script_object, nullptr, global_scope::torchscript, true},
    {"torch.jit._pickle", "build_intlist", &globals::jit_list, nullptr, global_scope::torchscript},
    {"torch.jit._pickle", "build_doublelist", &globals::jit_list, nullptr, global_scope::torchscript},
    {"torch.jit._pickle", "build_boollist", &globals::jit_list, nullptr, global_scope::torchscript},
    {"torch.jit._pickle", "build_tensorlist", &globals::jit_list, nullptr, global_scope::torchscript},
    {"torch.jit._pickle", "restore_type_tag", &globals::restore_type_tag, nullptr, global_scope::torchscript},
};

/// True when `row` matches the global `module`.`name` (in a TorchScript archive when `torchscript`).
inline bool global_matches(const global_row& row, std::string_view module, std::string_view name, bool torchscript) {
  if (row.scope == global_scope::torchscript && !torchscript) return false;
  bool in_module =
      module == row.module || (row.submodules && module.size() > row.module.size() &&
                               module.substr(0, row.module.size()) == row.module && module[row.module.size()] == '.');
  if (!in_module) return false;
  if (row.name != "*") return name == row.name;
  return row.family == nullptr || row.family(name);
}

/// The row of torch_globals that accepts `module`.`name`, or nullptr: the global is refused.
inline const global_row* find_global(std::string_view module, std::string_view name, bool torchscript) {
  for (const global_row& row : torch_globals)
    if (global_matches(row, module, name, torchscript)) return &row;
  return nullptr;
}

/// True for the globals the unpickler accepts (a row of torch_globals matches them).
inline bool allowed_global(std::string_view module, std::string_view name, bool torchscript) {
  return find_global(module, name, torchscript) != nullptr;
}

/// A storage value from a persistent id ('storage', storage_type, key, location, numel[, view_metadata]).
inline pickle_value* torch_storage(value_builder& b, const pickle_value* pid) {
  using globals::is_int;
  if (pid->kind != pickle_kind::tuple || pid->items.size() < 5 || !pid->items[0]->is_string("storage"))
    b.fail("unsupported persistent id (expected a ('storage', type, key, location, numel) tuple)");
  const auto& a = pid->items;
  if (a[1]->kind != pickle_kind::global) b.fail("persistent id: storage type is not a global");
  std::string_view cls = a[1]->text;
  if (cls.rfind("torch.", 0) == 0) cls.remove_prefix(6);
  if (cls.rfind("cuda.", 0) == 0) cls.remove_prefix(5);
  if (cls == "storage." + std::string(untyped_storage_class)) cls.remove_prefix(8);
  std::optional<dtype> type = storage_class_dtype(cls);
  if (!type) b.fail("persistent id: unknown storage type " + quote_name(a[1]->text));
  if (a[2]->kind != pickle_kind::string) b.fail("persistent id: storage key is not a string");
  if (a[3]->kind != pickle_kind::string) b.fail("persistent id: storage location is not a string");
  if (!is_int(a[4]) || a[4]->integer < 0) b.fail("persistent id: storage size is not a non-negative int");
  pickle_value* s = b.make(pickle_kind::storage);
  b.charge(sizeof(storage_ref) + a[2]->text.size() + a[3]->text.size());
  storage_ref& r = s->storage_mut();
  r.type = *type;
  r.key = a[2]->text;
  r.location = a[3]->text;
  r.numel = a[4]->integer;
  r.untyped = cls == untyped_storage_class;
  if (a.size() >= 6 && a[5]->kind != pickle_kind::none) {
    const pickle_value* vm = a[5];
    if (!globals::is_seq(vm) || vm->items.size() != 3 || vm->items[0]->kind != pickle_kind::string ||
        !is_int(vm->items[1]) || !is_int(vm->items[2]) || vm->items[1]->integer < 0 || vm->items[2]->integer < 0)
      b.fail("persistent id: malformed storage view metadata");
    r.view_offset = vm->items[1]->integer;
    r.view_numel = vm->items[2]->integer;
    if (r.view_offset > r.numel || r.view_numel > r.numel - r.view_offset)
      b.fail("persistent id: storage view lies outside its storage");
  }
  return s;
}

}  // namespace graft::io::detail
