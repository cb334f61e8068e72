// graft._graft: the torch-free core of graft for Python (pybind11). graft/__init__.py is the public
// face; this extension reads checkpoints (never running a pickle), plans and applies, and hands tensor
// bytes to PyTorch through the buffer protocol. It never includes or links LibTorch, so it works with
// whichever PyTorch the user has.

#include "errors.hpp"
#include "tensors.hpp"

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/io/pth.hpp>
#include <graft/io/shapes.hpp>
#include <graft/io/sharded_writer.hpp>
#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>
#include <graft/vocabulary.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifndef GRAFT_PYTHON_VERSION
#error "GRAFT_PYTHON_VERSION (the CMake project version) is set by tools/python/CMakeLists.txt"
#endif

namespace graft::python {

/// A checkpoint, a manifest or a dict of tensors, as planning and applying see it.
struct tensors {
  io::checkpoint ck;     ///< records (for a manifest: names, dtypes and shapes, no bytes)
  bool has_data = true;  ///< false for a manifest
  std::string label;     ///< names it in errors: the path, or "the source dict"
  tensor_set metas() const { return tensor_set(ck.tensors.begin(), ck.tensors.end()); }
};
using tensors_ptr = std::shared_ptr<tensors>;

/// Reads a checkpoint (any format graft reads) or a .tsv manifest.
tensors_ptr read_input(const std::string& path, const std::optional<std::string>& key) {
  auto out = std::make_shared<tensors>();
  out->label = path;
  py::gil_scoped_release nogil;
  if (io::is_manifest_path(path)) {
    out->has_data = false;
    for (auto& m : io::read_tensor_set(path, key)) {
      io::tensor_record r;
      static_cast<tensor_meta&>(r) = std::move(m);
      out->ck.tensors.push_back(std::move(r));
    }
    out->ck.path = path;
    out->ck.format = "manifest";
    out->ck.files = {path};
  } else {
    out->ck = io::read_checkpoint(path, key);
  }
  return out;
}

/// Views tensors described by graft/__init__.py (tensor_tuple); `label` names the dict in errors.
tensors_ptr from_tensors(const std::vector<tensor_tuple>& list, const std::string& label) {
  auto out = std::make_shared<tensors>();
  out->label = label;
  out->ck.path = label;
  out->ck.format = "dict";
  out->ck.tensors.reserve(list.size());
  for (const auto& t : list) out->ck.tensors.push_back(record_of(t, label));
  return out;
}

/// A plan with what it was made from, so that it can be applied and explained.
class plan_handle {
public:
  plan_handle(const std::string& rules_file, tensors_ptr source, tensors_ptr destination, bool lenient,
              bool strict_rules, const std::vector<std::string>& include_dirs)
      : source_(std::move(source)), destination_(std::move(destination)), options_{lenient, strict_rules} {
    rules::load_options load;
    for (const auto& d : include_dirs) load.include_dirs.emplace_back(d);
    py::gil_scoped_release nogil;
    rules_ = std::make_shared<const rules::ruleset>(rules::load_rules(rules_file, load));
    rules_file_ = rules_file;
    plan_ = make_plan(*rules_, source_->metas(), destination_->metas(), options_);
  }

  bool ok() const { return plan_.ok(); }
  std::string report() const { return format_report(plan_); }
  std::string json() const { return format_json(plan_); }
  std::string explain_name(const std::string& name) const {
    py::gil_scoped_release nogil;
    return explain(*rules_, source_->metas(), destination_->metas(), name, options_);
  }
  std::vector<std::string> problems(plan_problem::severity level) const {
    std::vector<std::string> out;
    for (const auto& p : plan_.problems)
      if (p.level == level) out.push_back(detail::printable(p.message));
    return out;
  }
  py::dict counts() const {
    py::dict out;
    for (const auto& row : category_table) out[py::str(std::string(row.word))] = plan_.count(row.value);
    return out;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out = {rules_file_};
    for (const std::vector<std::string>* list : {&rules_->files, &source_->ck.files, &destination_->ck.files})
      out.insert(out.end(), list->begin(), list->end());
    return out;
  }

  /// The destination's tensors filled per the plan, checked (CRC-32 of every source record used).
  std::vector<io::tensor_record> records() const {
    for (const tensors* side : {source_.get(), destination_.get()})
      if (!side->has_data)
        throw usage_error("cannot apply a plan made from a manifest (" + side->label +
                          "): a .tsv manifest has shapes only; give the checkpoint, a state dict or the module");
    if (!plan_.ok()) {
      const auto errors = problems(plan_problem::severity::error);
      std::string first = errors.empty() ? std::string("the plan has errors") : errors.front();
      if (errors.size() > 1) first += " (and " + std::to_string(errors.size() - 1) + " more errors: print the plan)";
      throw plan_error("refusing to apply a plan with errors: " + first);
    }
    py::gil_scoped_release nogil;
    auto out = apply_records(plan_, source_->ck.tensors, destination_->ck.tensors);
    for (const auto& r : out) r.check_source();  // the bytes reach Python unchecked otherwise
    return out;
  }

  /// apply(): one tuple_of() per destination tensor, in destination order.
  py::list apply() const {
    const auto out = records();
    py::list list;
    for (const auto& r : out) list.append(tuple_of(r));
    return list;
  }

  /// Writes the applied plan to `path` (.pth, .pt, .safetensors, or a sharded NAME.safetensors.index.json
  /// with shards of at most `max_shard_size` bytes, "" for the default): atomically, never over an input.
  /// `progress` (None, or a callable) is called with (bytes_done, bytes_total, files_done, files_total)
  /// after each piece of at most 8 MiB and each file committed; an exception it raises ends the write.
  void write(const std::string& path, const std::string& max_shard_size, const py::object& progress) const {
    if (io::format_for_output(path) == nullptr)
      throw usage_error("the output must end in .pth, .pt, .safetensors or .safetensors.index.json (sharded), not '" +
                        path + "'");
    io::checkpoint_write_options wo;
    if (!max_shard_size.empty()) {
      if (io::format_for_output(path) != &io::sharded_safetensors_format)
        throw usage_error("max_shard_size needs a sharded output (NAME.safetensors.index.json), not '" + path + "'");
      wo.max_shard_bytes = io::parse_byte_size(max_shard_size, "max_shard_size");
    }
    const auto inputs = files();
    if (auto input = io::same_file_among(path, inputs))
      throw usage_error("output '" + path + "' is an input (" + *input + "): refusing to overwrite it");
    const auto out = records();
    wo.inputs = inputs;
    wo.metadata = {{"format", "pt"}, {"graft_rules", rules_file_}};
    if (!progress.is_none())
      wo.progress = [&progress](const io::write_progress& p) {
        py::gil_scoped_acquire gil;
        progress(p.bytes_done, p.bytes_total, p.files_done, p.files_total);
      };
    py::gil_scoped_release nogil;
    io::write_checkpoint(path, out, wo);
  }

private:
  std::shared_ptr<const tensors> source_, destination_;
  plan_options options_;
  std::shared_ptr<const rules::ruleset> rules_;
  std::string rules_file_;
  plan plan_;
};

/// (name, dtype, shape, role): role "param", "buffer" or "" (not known).
py::tuple meta_tuple(const io::tensor_record& r) {
  const char* role = r.role == tensor_role::param ? "param" : r.role == tensor_role::buffer ? "buffer" : "";
  return py::make_tuple(r.name, std::string(dtype_name(r.type)), py::tuple(py::cast(r.shape)), role);
}

}  // namespace graft::python

PYBIND11_MODULE(_graft, m) {
  namespace py = pybind11;
  using namespace graft::python;
  m.doc() = "graft's torch-free core (checkpoint reading, planning, applying); use the `graft` package.";
  m.attr("__version__") = GRAFT_PYTHON_VERSION;
  add_error_classes(m);

  py::list keys;
  for (auto k : graft::io::state_dict_keys) keys.append(py::str(std::string(k)));
  m.attr("STATE_DICT_KEYS") = py::tuple(keys);

  py::class_<bytes_view>(m, "Bytes", py::buffer_protocol(), "A tensor storage's bytes (buffer protocol).")
      .def_buffer([](bytes_view& b) {
        return py::buffer_info(const_cast<std::byte*>(b.span.data), 1, py::format_descriptor<std::uint8_t>::format(), 1,
                               {static_cast<py::ssize_t>(b.span.size)}, {static_cast<py::ssize_t>(1)}, false);
      })
      .def("__len__", [](const bytes_view& b) { return b.span.size; });

  py::class_<tensors, tensors_ptr>(m, "Tensors", "A checkpoint, manifest or dict of tensors as graft sees it.")
      .def_property_readonly("path", [](const tensors& t) { return t.ck.path; })
      .def_property_readonly("format", [](const tensors& t) { return t.ck.format; })
      .def_property_readonly("key", [](const tensors& t) { return t.ck.chosen_key; })
      .def_property_readonly("files", [](const tensors& t) { return t.ck.files; })
      .def_property_readonly("has_data", [](const tensors& t) { return t.has_data; })
      .def_property_readonly("skipped", [](const tensors& t) { return t.ck.skipped; })
      .def("metas",
           [](const tensors& t) {
             py::list out;
             for (const auto& r : t.ck.tensors) out.append(meta_tuple(r));
             return out;
           })
      .def("__len__", [](const tensors& t) { return t.ck.tensors.size(); });

  m.def("read", &read_input, py::arg("path"), py::arg("key") = py::none(),
        "Reads a checkpoint (.pth/.pt zip or pre-1.6, TorchScript, .safetensors, a sharded index) or a .tsv "
        "manifest, without running its pickle.");
  m.def("from_tensors", &from_tensors, py::arg("tensors"), py::arg("label"),
        "Views CPU tensors described as (name, dtype, shape, strides, offset, address, nbytes, role, keepalive).");

  py::class_<plan_handle, std::shared_ptr<plan_handle>>(m, "Plan", "A compiled plan (see graft.Plan).")
      .def(py::init<const std::string&, tensors_ptr, tensors_ptr, bool, bool, const std::vector<std::string>&>(),
           py::arg("rules"), py::arg("source"), py::arg("destination"), py::arg("lenient") = false,
           py::arg("strict_rules") = false, py::arg("include_dirs") = std::vector<std::string>{})
      .def_property_readonly("ok", &plan_handle::ok)
      .def_property_readonly("errors",
                             [](const plan_handle& p) { return p.problems(graft::plan_problem::severity::error); })
      .def_property_readonly("warnings",
                             [](const plan_handle& p) { return p.problems(graft::plan_problem::severity::warning); })
      .def_property_readonly("counts", &plan_handle::counts)
      .def_property_readonly("files", &plan_handle::files)
      .def("report", &plan_handle::report)
      .def("json", &plan_handle::json)
      .def("explain", &plan_handle::explain_name, py::arg("name"))
      .def("apply", &plan_handle::apply)
      .def("write", &plan_handle::write, py::arg("path"), py::arg("max_shard_size") = std::string(),
           py::arg("progress") = py::none());
}
