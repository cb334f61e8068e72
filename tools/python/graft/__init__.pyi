# Type stubs of the graft Python module (graft/__init__.py over the extension graft._graft).
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch

__version__: str

PathLike = Union[str, bytes, os.PathLike]
Source = Union[PathLike, Mapping[str, Any]]
Destination = Union[PathLike, Mapping[str, Any], torch.nn.Module]

class Error(Exception):
    """Base of graft's errors."""

    exit_code: int

class RulesError(Error):
    file: str
    line: int
    column: int

class PlanError(Error): ...
class CheckpointError(Error): ...
class UsageError(Error): ...

class Plan:
    @property
    def ok(self) -> bool: ...
    @property
    def errors(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def counts(self) -> Dict[str, int]: ...
    @property
    def files(self) -> List[str]: ...
    def json(self) -> str: ...
    def explain(self, name: str) -> str: ...
    def apply(self) -> Dict[str, torch.Tensor]: ...
    def write(self, path: PathLike, max_shard_size: Union[int, str, None] = ...,
              progress: Optional[Callable[[int, int, int, int], object]] = ...) -> None: ...

def plan(
    rules: PathLike,
    source: Source,
    destination: Destination,
    *,
    key: Optional[str] = ...,
    destination_key: Optional[str] = ...,
    lenient: bool = ...,
    strict_rules: bool = ...,
    include_dirs: Sequence[PathLike] = ...,
) -> Plan: ...
def read(path: PathLike, key: Optional[str] = ...) -> List[Tuple[str, str, Tuple[int, ...], str]]: ...
def rules_path(name: str = ...) -> str: ...
