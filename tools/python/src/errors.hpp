#pragma once
// graft's errors as Python exceptions: graft.Error and one subclass per error class, each with the
// exit code the `graft` CLI gives that class (`exit_code`); RulesError also carries file, line, column.

#include <graft/error.hpp>

#include <pybind11/pybind11.h>

#include <exception>
#include <string>

namespace graft::python {

namespace py = pybind11;

/// One Python exception class: its name, the graft error class it stands for, its exit code and help.
struct error_class {
  const char* name;
  const char* doc;
  int exit_code;
  PyObject* type = nullptr;  ///< made by add_error_classes (module-lifetime, never freed)
};

/// The classes, base first. `graft plan` exits 1 for a plan with errors, every other graft error is 2.
inline error_class error_classes[] = {
    {"Error", "Base of graft's errors; `exit_code` is the graft CLI's exit code for the same failure.", 2},
    {"RulesError", "A rules file that does not parse or does not make sense (file, line, column).", 2},
    {"PlanError", "A plan that cannot be applied: it has errors (print the plan), or a step cannot run.", 1},
    {"CheckpointError", "An unreadable, malformed, refused or corrupt checkpoint or manifest.", 2},
    {"UsageError", "A bad argument: a wrong type, a missing file, a manifest where data is needed.", 2},
};

enum error_index { base_error, rules_error_index, plan_error_index, checkpoint_error_index, usage_error_index };

/// Raises error_classes[i] with `message`; `extra` sets more attributes on the instance.
inline void raise_error(error_index i, const char* message, const py::dict& extra = {}) {
  py::object type = py::reinterpret_borrow<py::object>(error_classes[i].type);
  py::object instance = type(py::str(message));
  for (auto item : extra) py::setattr(instance, item.first, item.second);
  PyErr_SetObject(error_classes[i].type, instance.ptr());
}

/// Creates the classes in `m` and registers the translator of graft's C++ errors into them.
inline void add_error_classes(py::module_& m) {
  for (auto& c : error_classes) {
    PyObject* base = &c == &error_classes[0] ? PyExc_Exception : error_classes[0].type;
    const std::string qualified = std::string("graft.") + c.name;
    c.type = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, base, nullptr);
    if (c.type == nullptr) throw py::error_already_set();
    py::setattr(c.type, "exit_code", py::int_(c.exit_code));
    m.add_object(c.name, py::handle(c.type));
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const located_error& e) {  // parse_error and rules_error
      py::dict where;
      where["file"] = e.file();
      where["line"] = e.line();
      where["column"] = e.column();
      raise_error(rules_error_index, e.what(), where);
    } catch (const plan_error& e) {
      raise_error(plan_error_index, e.what());
    } catch (const checkpoint_error& e) {
      raise_error(checkpoint_error_index, e.what());
    } catch (const usage_error& e) {
      raise_error(usage_error_index, e.what());
    } catch (const error& e) {
      raise_error(base_error, e.what());
    }
  });
}

}  // namespace graft::python
