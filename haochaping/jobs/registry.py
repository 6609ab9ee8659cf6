"""Task registry: functions registered by name in each app's ``tasks.py``.

    # haochaping/notifications/tasks.py
    @task("notifications.deliver")
    def deliver(*, notification_id: int) -> None:
        notification_deliver(notification_id=notification_id)

    @periodic("notifications.sweep", every=dt.timedelta(minutes=10))
    def sweep() -> None:
        notification_sweep()

Tasks are thin: they take ids (the job's ``args`` are their keyword arguments), call a
service and return. They run at least once, so they must be idempotent. ``load_tasks``
imports ``<app>.tasks`` for every installed haochaping app; nothing else is discovered.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

TaskFn = Callable[..., object]


@dataclass(frozen=True)
class Periodic:
    """A task that always has exactly one unfinished job, re-enqueued ``every`` after each run."""

    name: str
    every: dt.timedelta
    max_attempts: int = 1  # a failed run is not retried: the next run is the retry

    @property
    def unique_key(self) -> str:
        return f"periodic:{self.name}"


class UnknownTask(LookupError):
    pass


class JobError(Exception):
    """Raise from a task with a message written for operators and free of identity data.

    Its message is stored in ``Job.last_error`` and logged; any other exception is recorded by
    type and location only, since its message may quote personal data.
    """


TASKS: dict[str, TaskFn] = {}
PERIODIC: dict[str, Periodic] = {}
_loaded = False
_load_lock = threading.RLock()  # a tasks module may enqueue while being imported


def task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Register ``fn`` under ``name`` (``<app>.<verb>``); a name is registered once."""

    def register(fn: TaskFn) -> TaskFn:
        existing = TASKS.get(name)
        if existing is not None and _qualname(existing) != _qualname(fn):
            raise ValueError(f"task {name!r} is already registered by {_qualname(existing)}")
        TASKS[name] = fn
        return fn

    return register


def periodic(name: str, *, every: dt.timedelta, max_attempts: int = 1) -> Callable[[TaskFn], TaskFn]:
    """Register a task and schedule it every ``every`` (the worker keeps one future job queued)."""
    if every <= dt.timedelta(0):
        raise ValueError("a periodic task needs a positive interval")

    def register(fn: TaskFn) -> TaskFn:
        task(name)(fn)
        PERIODIC[name] = Periodic(name, every, max_attempts)
        return fn

    return register


def get_task(name: str) -> TaskFn:
    load_tasks()
    try:
        return TASKS[name]
    except KeyError:
        raise UnknownTask(name) from None


def get_periodic(name: str) -> Periodic | None:
    load_tasks()
    return PERIODIC.get(name)


def periodic_tasks() -> list[Periodic]:
    load_tasks()
    return sorted(PERIODIC.values(), key=lambda p: p.name)


def load_tasks() -> None:
    """Import ``tasks.py`` of every installed haochaping app, once per process."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        for config in apps.get_app_configs():
            if config.name.startswith("haochaping.") and module_has_submodule(config.module, "tasks"):
                import_module(f"{config.name}.tasks")
        _loaded = True


def _qualname(fn: TaskFn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"
