"""The vocabulary of a transition table, shared by every workflow (cases, demands).

Each app keeps its own table in its ``workflow.py`` as ``TRANSITIONS`` (keyed by the action's
value) and ``allowed_actions(state, role)``; this module only says what a row is and how a
table answers "what may this role do in this state". The app's service that applies the
table checks the same three things (role, state, input) and is the only code that does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import models

A = TypeVar("A", bound=models.TextChoices)


@dataclass(frozen=True)
class Transition(Generic[A]):
    """One row of a transition table: ``action`` moves a record in one of ``sources`` to
    ``target``, for the ``roles`` listed, with what the step requires."""

    action: A
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    text_label: str  # what the text field means for this step, shown in forms and errors
    needs_text: bool = True
    needs_attachment: bool = False
    needs_date: bool = False  # a proposed/approved new date (a case's extension)

    def allows(self, state: str, role: str) -> bool:
        return state in self.sources and role in self.roles


def transition_table(*transitions: Transition[A]) -> dict[str, Transition[A]]:
    """A table keyed by the action's value (an action member looks up the same row)."""
    return {str(t.action.value): t for t in transitions}


def transitions_from(transitions: Iterable[Transition[A]], state: str) -> list[Transition[A]]:
    """Every row that starts in ``state``, whoever may take it."""
    return [t for t in transitions if state in t.sources]


def allowed(transitions: Iterable[Transition[A]], state: str, role: str) -> list[Transition[A]]:
    """The rows this role may take in this state, in table order (the buttons on a page)."""
    return [t for t in transitions if t.allows(state, role)]
