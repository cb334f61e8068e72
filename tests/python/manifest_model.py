"""Tensors and modules with a manifest's names and shapes (tests/data/manifests, benchmarks/data): used
by the Python module's tests and by benchmarks/python_module.py."""
import torch


def state_dict_of(metas, seed):
    """A state dict with the manifest's names, dtypes and shapes; values differ per tensor and seed."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, dtype, shape, _role in metas:
        dt = getattr(torch, dtype)
        if dt.is_floating_point:
            out[name] = torch.randn(shape, generator=gen).to(dt)
        else:
            out[name] = torch.randint(0, 1000, shape, generator=gen).to(dt)
    return out


class ManifestModule(torch.nn.Module):
    """A module whose state dict has exactly a manifest's names and shapes: parameters where the
    manifest says param, buffers where it says buffer (as the repositories' models have)."""

    def __init__(self, metas, seed=1):
        super().__init__()
        values = state_dict_of(metas, seed)
        for name, _dtype, _shape, role in metas:
            *path, leaf = name.split(".")
            owner = self
            for part in path:
                if part not in owner._modules:
                    owner.add_module(part, torch.nn.Module())
                owner = owner._modules[part]
            if role == "buffer" or not values[name].is_floating_point():
                owner.register_buffer(leaf, values[name])
            else:
                owner.register_parameter(leaf, torch.nn.Parameter(values[name]))
