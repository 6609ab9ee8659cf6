"""The server pool of `haochaping serve` (and of bench/intake.py, which measures it).

With SQLite every write queues on one lock, so threads only add GIL hand-offs to it: one
thread per process, two processes per core, rated fastest with ``bench/intake.py`` (figures in
``bench/README.md``), and four processes keep the console responsive while a slow page
renders. PostgreSQL requests wait on network round trips, which threads overlap.
"""

from __future__ import annotations

import os


def default_pool(vendor: str) -> tuple[int, int]:
    """(worker processes, threads per process) for a database vendor ("sqlite", "postgresql")."""
    cores = os.cpu_count() or 2
    if vendor == "sqlite":
        return (min(max(2 * cores, 2), 8), 1)
    return (2, 4)
