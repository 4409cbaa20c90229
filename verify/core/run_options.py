"""The run's configuration: what the CLI, the API, the pytest plugin, the
runner and the workers all pass down to every case."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT = 120.0   # seconds per case
DEFAULT_MEMORY_MB = 4096  # address-space cap of a worker process


@dataclass(frozen=True)
class RunOptions:
    """Options of a run that reach every case (from the CLI or the API)."""

    allow_import: bool = False
    allow_outside_data: bool = False
    timeout: float = DEFAULT_TIMEOUT  # 0 runs cases in this process, unlimited
    memory_mb: int = DEFAULT_MEMORY_MB
