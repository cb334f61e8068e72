"""graft: move pretrained weights between models with a reviewable rules file.

    import graft
    plan = graft.plan("rules/pose/dekr_coco_to_crowdpose.graft", "pose_dekr_hrnetw32_coco.pth", model)
    print(plan)                                         # the report of `graft plan`; plan.json() its JSON
    model.load_state_dict(plan.apply(), strict=True)    # torch tensors in the model's order

graft reads checkpoints itself (torch.save zip and pre-1.6 files, TorchScript archives, safetensors,
sharded safetensors): no pickle is ever run, so a hostile file cannot execute code. Tensors cross
between graft and PyTorch without copies where the layout allows. PyTorch is imported only when
tensors are involved, and the extension does not link LibTorch: it works with the PyTorch you have
(tested with 1.13 and 2.6; torch.frombuffer, which it uses, is in every PyTorch from 1.10).

Errors are graft.Error subclasses carrying graft's message and the CLI's exit code (`exit_code`):
RulesError (with file, line, column), PlanError, CheckpointError, UsageError.
"""

import os as _os

from . import _graft
from ._graft import CheckpointError, Error, PlanError, RulesError, UsageError

__version__ = _graft.__version__
__all__ = ["plan", "Plan", "read", "rules_path", "Error", "RulesError", "PlanError", "CheckpointError", "UsageError"]

_RULES_DIR = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "rules")


def rules_path(name=""):
    """The path of a shipped rules file (`rules_path("pose/dekr_coco_to_crowdpose.graft")`), or of the
    shipped rules folder when `name` is empty. `use` in any rules file finds these too."""
    path = _os.path.join(_RULES_DIR, name) if name else _RULES_DIR
    if not _os.path.exists(path):
        raise UsageError("no shipped rules file '%s' (under %s)" % (name, _RULES_DIR))
    return path


def read(path, key=None):
    """Reads a checkpoint or a .tsv manifest without loading tensor data or running a pickle; returns
    a list of (name, dtype, shape, role) tuples in file order (role: "param", "buffer" or "" where the
    file does not say). `key` names the entry holding the state dict."""
    return _graft.read(_fspath(path, "path"), key).metas()


class Plan:
    """What a rules file does to every tensor: made by graft.plan(); nothing has moved yet.

    str(plan) is the report `graft plan` prints, plan.json() its JSON (docs/plan-json.md), plan.ok
    whether it has no errors (plan.errors, plan.warnings list them), plan.counts the tensors per
    category, plan.explain(name) what `graft explain` says of one tensor. plan.apply() runs it.
    """

    def __init__(self, handle, destination_devices):
        self._handle = handle
        self._devices = destination_devices

    ok = property(lambda self: self._handle.ok, doc="True when the plan has no errors.")
    errors = property(lambda self: self._handle.errors, doc="The plan's errors, causes first.")
    warnings = property(lambda self: self._handle.warnings, doc="The plan's warnings.")
    counts = property(lambda self: self._handle.counts, doc="Destination and source tensors per category.")
    files = property(lambda self: self._handle.files, doc="Every file the plan was made from.")

    def __str__(self):
        return self._handle.report()

    def __repr__(self):
        counts = ", ".join("%s %d" % kv for kv in self.counts.items() if kv[1])
        return "<graft.Plan %s: %s>" % ("ok" if self.ok else "with errors", counts)

    def json(self):
        """The plan as JSON text, schema graft-plan/1 (what `graft plan --json` prints)."""
        return self._handle.json()

    def explain(self, name):
        """Every step the planner takes for one source or destination tensor name (`graft explain`)."""
        return self._handle.explain(name)

    def apply(self):
        """Runs the plan: a dict name -> torch.Tensor in the destination's order, ready for
        `model.load_state_dict(..., strict=True)`. Copied tensors view the source file's memory (mapped
        copy-on-write: writing to them never changes the file), kept ones view the destination's own
        tensors, the rest are fresh; each is placed on its destination tensor's device. Raises PlanError
        for a plan with errors and UsageError when either side is a manifest."""
        torch = _torch()
        out = {}
        for name, dtype, shape, strides, offset, data in self._handle.apply():
            tensor = _tensor_of(torch, dtype, shape, strides, offset, data)
            device = self._devices.get(name)
            out[name] = tensor.to(device) if device is not None and device.type != "cpu" else tensor
        return out

    def write(self, path, max_shard_size=None, progress=None):
        """Runs the plan and writes the result to `path` (.pth/.pt: torch.load-able; .safetensors; or
        NAME.safetensors.index.json: sharded safetensors, shards of at most `max_shard_size` bytes, an
        int or a text like "5GB", the default), as `graft apply --out` does: atomically, never over one
        of the inputs. `progress`, if given, is called as progress(bytes_done, bytes_total, files_done,
        files_total) after each piece of at most 8 MiB of tensor bytes and after each file is committed
        (a tqdm bar, say); an exception it raises ends the write: the file being written is not
        committed (nor, for a sharded output, the index)."""
        size = "" if max_shard_size is None else str(max_shard_size)
        if progress is not None and not callable(progress):
            raise UsageError("progress must be callable (bytes_done, bytes_total, files_done, files_total), not %r"
                             % type(progress).__name__)
        self._handle.write(_fspath(path, "path"), size, progress)


def plan(rules, source, destination, *, key=None, destination_key=None, lenient=False, strict_rules=False,
         include_dirs=()):
    """Compiles `rules` (a *.graft file) against a source and a destination; returns a Plan.

    source: a checkpoint path (any format graft reads), a .tsv manifest, or a dict of tensors (a state
      dict, or a training checkpoint holding one: the entry is chosen as for files, or named by `key`).
    destination: a torch.nn.Module (its state_dict()), a state dict, a checkpoint path or a manifest.
    key / destination_key: the entry holding the state dict (a dotted path for nested dicts).
    lenient: unused sources and uncovered destinations are warnings; strict_rules: a rule that matches
      nothing is an error. include_dirs: folders searched by `use` (the shipped rules always are).
    """
    src, _ = _side(source, key, "the source")
    dst, devices = _side(destination, destination_key, "the destination")
    dirs = [_fspath(d, "include_dirs entry") for d in include_dirs]
    if _os.path.isdir(_RULES_DIR):
        dirs.append(_RULES_DIR)
    handle = _graft.Plan(_fspath(rules, "rules"), src, dst, lenient=lenient, strict_rules=strict_rules,
                         include_dirs=dirs)
    return Plan(handle, devices)


# --- tensors in and out -------------------------------------------------------------------------------


def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise UsageError("PyTorch is needed for tensors (import torch failed: %s)" % e) from None
    return torch


def _fspath(value, what):
    try:
        return _os.fspath(value)
    except TypeError:
        raise UsageError("%s must be a path, not %s" % (what, type(value).__name__)) from None


def _side(value, key, label):
    """(_graft.Tensors, {name: device}) for a path, a module, a state dict or a checkpoint dict."""
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return _graft.read(_fspath(value, label), key), {}
    torch = _torch()
    roles = {}
    if isinstance(value, torch.nn.Module):
        roles = {n: "param" for n, _ in value.named_parameters()}
        roles.update({n: "buffer" for n, _ in value.named_buffers() if n not in roles})
        if key is not None:
            raise UsageError("a key selects an entry of a checkpoint or dict, not of a torch.nn.Module")
        value = value.state_dict()
    if not isinstance(value, dict):
        raise UsageError("%s must be a path, a dict of tensors or a torch.nn.Module, not %s"
                         % (label, type(value).__name__))
    state_dict, chosen = _state_dict_of(torch, value, key, label)
    where = label + (" (entry '%s')" % chosen if chosen else "")
    tuples, devices = [], {}
    for name, t in state_dict.items():
        if not isinstance(t, torch.Tensor):
            continue  # like a file's non-tensor entries: not part of the state dict
        if not isinstance(name, str):
            raise UsageError("%s: key %r is not a string" % (where, name))
        devices[name] = t.device
        tuples.append(_describe(torch, name, t, roles.get(name, ""), where))
    return _graft.from_tensors(tuples, where), devices


def _holds_tensors(torch, d):
    return isinstance(d, dict) and any(isinstance(v, torch.Tensor) for v in d.values())


def _state_dict_of(torch, value, key, label):
    """The dict holding the tensors, chosen as graft chooses it in a torch.save file."""
    if key is not None:
        node = value
        if key in value:
            node = value[key]
        else:
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise UsageError("%s has no dict at key '%s' (top-level keys: %s)" % (label, key, _keys(value)))
        return node, key
    if not value or (_holds_tensors(torch, value) and not any(_holds_tensors(torch, v) for v in value.values())):
        return value, ""
    for k in _graft.STATE_DICT_KEYS:
        v = value.get(k)
        if not isinstance(v, dict):
            continue
        if _holds_tensors(torch, v):
            return v, k
        for k2 in _graft.STATE_DICT_KEYS:
            if _holds_tensors(torch, v.get(k2)):
                return v[k2], k + "." + k2
    found = [(k, v) for k, v in value.items() if isinstance(k, str) and _holds_tensors(torch, v)]
    if len(found) == 1:
        return found[0][1], found[0][0]
    raise UsageError("cannot tell which entry of %s holds the state dict (top-level keys: %s); name one with a key"
                     % (label, _keys(value)))


def _keys(d):
    keys = [repr(k) for k in list(d)[:8]]
    return ", ".join(keys) + (", ... and %d more" % (len(d) - 8) if len(d) > 8 else "")


def _describe(torch, name, t, role, where):
    """A tensor as _graft.from_tensors takes it, viewing its CPU memory (a CPU copy for other devices)."""
    if t.layout != torch.strided:
        raise UsageError("%s: tensor '%s' is %s: graft moves dense (strided) tensors only" % (where, name, t.layout))
    if t.is_quantized:
        raise UsageError("%s: tensor '%s' is quantized: graft moves unquantized tensors only" % (where, name))
    if t.requires_grad:
        t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.is_conj():
        t = t.resolve_conj()
    if t.is_neg():
        t = t.resolve_neg()
    storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
    nbytes = storage.nbytes()
    address = storage.data_ptr() if nbytes else 0
    dtype = str(t.dtype)[len("torch."):]
    return (name, dtype, tuple(t.shape), tuple(t.stride()), t.storage_offset(), address, nbytes, role, t)


def _tensor_of(torch, dtype, shape, strides, offset, data):
    """A torch.Tensor over a _graft.Bytes storage (no copy)."""
    dt = getattr(torch, dtype, None)
    if not isinstance(dt, torch.dtype):
        raise UsageError("this PyTorch (%s) has no torch.%s" % (torch.__version__, dtype))
    size = dt.itemsize if hasattr(dt, "itemsize") else torch.empty((), dtype=dt).element_size()
    if len(data) < size:  # an empty storage: torch.frombuffer refuses empty buffers
        return torch.empty_strided(shape, strides, dtype=dt)
    flat = torch.frombuffer(data, dtype=dt, count=len(data) // size)
    return flat.as_strided(shape, strides, offset)
