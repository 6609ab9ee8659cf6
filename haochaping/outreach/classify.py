"""The first, automatic category suggestion for a demand: keyword tables over jieba tokens.

A text is segmented with ``jieba.lcut`` (dictionary only, ``HMM=False``: the same text always
gives the same tokens, with no statistical new-word guessing). A keyword matches when it
equals one token or a run of up to four consecutive tokens of the same clause, so "来回跑"
matches "来回 / 跑" and "营业执照" matches "营业执照", but "收费" does not match inside an
unrelated longer word. Each category scores the weights of its own matched keywords plus
those of its ancestors; only categories with a match of their own are candidates, so a text
about "微信小程序登录不上" lands on 系统平台 › 移动端 rather than on 系统平台. Ties go to more
matched keywords, then the deeper category, then the tree order: the result is deterministic.

The suggestion is only a first guess: the supervisor who assigns the demand confirms or
changes the category, and both are kept (``Demand.suggested_category``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not ours to log

MAX_RUN = 4
_SEPARATOR = re.compile(r"[\s\u3000,，.。!！?？;；:：、()（）\[\]【】<>《》\"'“”‘’/\\|~…—\-]+")


@dataclass(frozen=True)
class Suggestion:
    category_id: int
    code: str
    name: str
    score: float
    matched: tuple[str, ...]


def keyword_table(raw: object) -> list[tuple[str, float]]:
    """A category's ``keywords`` as (lower-cased word, weight) pairs; malformed entries are skipped."""
    table: list[tuple[str, float]] = []
    if not isinstance(raw, list):
        return table
    for entry in raw:
        word, weight = (entry, 1.0) if isinstance(entry, str) else (None, 0.0)
        if isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str):
            try:
                word, weight = entry[0], float(entry[1])
            except (TypeError, ValueError):
                word = None
        if word and word.strip() and weight > 0:
            table.append((word.strip().lower(), weight))
    return table


def tokens(text: str) -> list[list[str]]:
    """The text's clauses, each as its jieba tokens (punctuation and spaces removed)."""
    clauses = []
    for clause in _SEPARATOR.split(text or ""):
        if clause:
            clauses.append([t.lower() for t in jieba.lcut(clause, HMM=False) if t.strip()])
    return clauses


def phrases(text: str) -> set[str]:
    """Every token and every run of up to ``MAX_RUN`` consecutive tokens within a clause."""
    found: set[str] = set()
    for clause in tokens(text):
        for start in range(len(clause)):
            for end in range(start + 1, min(start + MAX_RUN, len(clause)) + 1):
                found.add("".join(clause[start:end]))
    return found


@dataclass(frozen=True)
class _Node:
    id: int
    code: str
    name: str
    parent_id: int | None
    table: tuple[tuple[str, float], ...]
    order: int


def suggest(text: str, categories: Iterable) -> Suggestion | None:
    """The best-matching active category for ``text``, or None when no keyword matches.

    ``categories`` are ``DemandCategory`` rows (or anything with id, code, name, parent_id,
    keywords, is_active), in tree order.
    """
    nodes = {
        c.id: _Node(c.id, c.code, c.name, c.parent_id, tuple(keyword_table(c.keywords)), i)
        for i, c in enumerate(categories)
        if c.is_active
    }
    if not nodes:
        return None
    grams = phrases(text)
    own: dict[int, list[tuple[str, float]]] = {
        pk: [(word, weight) for word, weight in node.table if word in grams] for pk, node in nodes.items()
    }
    best: tuple | None = None
    for pk, node in nodes.items():
        if not own[pk]:
            continue
        score, matched, depth = 0.0, [], 0
        cursor: _Node | None = node
        while cursor is not None:
            score += sum(weight for _, weight in own[cursor.id])
            matched += [word for word, _ in own[cursor.id]]
            cursor = nodes.get(cursor.parent_id) if cursor.parent_id is not None else None
            depth += 1
        key = (score, len(matched), depth, -node.order)
        if best is None or key > best[0]:
            best = (key, node, tuple(matched))
    if best is None:
        return None
    (score, _, _, _), node, matched = best
    return Suggestion(node.id, node.code, node.name, score, matched)
