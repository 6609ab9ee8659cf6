"""The server pool of `haochaping serve` (and of bench/intake.py, which measures it).

Measured with ``bench/intake.py`` on 2 cores: with SQLite every write queues on one lock, so
threads only add GIL hand-offs to it: one thread per process, two processes per core, rated
fastest (real intake 680 req/s at 4 x 1 against 556 at 2 x 2), and four processes keep the
console responsive while a slow page renders. PostgreSQL requests wait on network round
trips, which threads overlap.
"""

from __future__ import annotations

import os


def default_pool(vendor: str) -> tuple[int, int]:
    """(worker processes, threads per process) for a database vendor ("sqlite", "postgresql")."""
    cores = os.cpu_count() or 2
    if vendor == "sqlite":
        return (min(max(2 * cores, 2), 8), 1)
    return (2, 4)
