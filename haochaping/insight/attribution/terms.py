"""Keyword (hot-phrase) ranking of bad-rating and demand texts, with masked examples.

Texts are segmented with a private ``jieba.Tokenizer`` (dictionary only, ``HMM=False``; the
shared tokenizer that ``evaluations.attribution`` uses is left alone) whose dictionary is extended
with a domain dictionary: the names of the service items (事项) and the word lists in
``insight/data`` (``material_words.txt``: 材料 names; ``hall_words.txt``: 窗口/跑趟/排队/系统 and
similar words). ``stop_words.txt`` lists words never ranked; single characters, numbers and
punctuation are never ranked either. A term counts once per text (document frequency). At most
``MAX_TEXTS`` texts of each kind are read (the newest). Segmenting is the page's main cost (about
0.25 ms a text): each process keeps the terms of the last ``2 × MAX_TEXTS`` texts it segmented
(``_terms``, emptied whenever the dictionary gains an item name), so a page asked again, or for
another unit of the same period, segments only the texts that arrived since.

Example texts never reveal identities: ``mask_text`` masks 18-character ID numbers, 11-digit
mobile numbers and any other run of seven or more digits.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jieba
from django.utils import timezone

from haochaping.core.masking import mask_id_number, mask_phone
from haochaping.insight.attribution.selectors import Slice, causes_of, rating_text
from haochaping.outreach.models import Demand
from haochaping.service_records.models import ServiceItem

DATA = Path(__file__).resolve().parent.parent / "data"
MAX_TEXTS = 5000
EXAMPLES = 3
EXAMPLE_CHARS = 80
DOMAIN_FREQ = 200_000  # high enough that jieba keeps a domain word whole

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_DIGITS = re.compile(r"\d{7,}")
_BRACKETED = re.compile(r"[（(【\[].*?[）)】\]]")
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_lock = threading.Lock()


def mask_text(text: str) -> str:
    """The text with ID numbers, mobile numbers and other long digit runs masked."""
    text = _ID.sub(lambda m: mask_id_number(m.group()), text or "")
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return _DIGITS.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)


def _word_list(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_word_list("stop_words.txt"))


@cache
def _base_tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in _word_list("hall_words.txt") + _word_list("material_words.txt"):
        tokenizer.add_word(word, freq=DOMAIN_FREQ)
    return tokenizer


def tokenizer() -> jieba.Tokenizer:
    """The term tokenizer with the current item names added (``add_word`` is idempotent)."""
    tk = _base_tokenizer()
    names = ServiceItem.objects.filter(is_active=True).values_list("name", flat=True)
    with _lock:
        added = False
        for name in names:
            # "食品经营许可（新办）": jieba splits at the brackets, so the part before them counts.
            for word in {name.strip(), _BRACKETED.sub("", name).strip()}:
                if 2 <= len(word) <= 30 and not tk.FREQ.get(word):  # a prefix of a word has 0
                    tk.add_word(word, freq=DOMAIN_FREQ)
                    added = True
        if added:
            _terms.cache_clear()  # segmented with the smaller dictionary
    return tk


def _segment(text: str, tk: jieba.Tokenizer) -> frozenset[str]:
    stops = stop_words()
    return frozenset(
        tok
        for tok in tk.lcut(text or "", HMM=False)
        if len(tok) >= 2 and tok not in stops and _WORD.search(tok) and not tok.isdigit()
    )


@lru_cache(maxsize=2 * MAX_TEXTS)
def _terms(text: str) -> frozenset[str]:
    """The terms of a text segmented by the shared tokenizer (kept: see the module doc)."""
    return _segment(text, _base_tokenizer())


def terms_of(text: str, tk: jieba.Tokenizer | None = None) -> set[str]:
    """The rankable terms of one text."""
    tk = tk or tokenizer()
    return set(_terms(text) if tk is _base_tokenizer() else _segment(text, tk))


def _example(text: str, term: str) -> str:
    text = mask_text(" ".join(text.split()))
    if len(text) <= EXAMPLE_CHARS:
        return text
    pos = max(0, text.find(term) - EXAMPLE_CHARS // 3)
    return ("…" if pos else "") + text[pos : pos + EXAMPLE_CHARS] + "…"


def _texts(slice_: Slice, *, demands: bool) -> list[tuple[str, str]]:
    """(kind, text) of the slice's bad ratings with a text and, when ``demands``, of the demands
    received by the slice's unit subtree in its period (newest first, at most ``MAX_TEXTS`` each)."""
    ratings = (
        causes_of(slice_, newest_first=True)
        .annotate(text=rating_text())
        .filter(text__gt="")
        .order_by("-day", "-id")
        .values_list("text", flat=True)[:MAX_TEXTS]
    )
    texts = [("rating", t) for t in ratings]
    if demands:
        start = timezone.make_aware(dt.datetime.combine(slice_.first, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(slice_.last + dt.timedelta(days=1), dt.time.min))
        rows = (
            Demand.objects.filter(unit__path__startswith=slice_.unit.path, received_at__gte=start, received_at__lt=end)
            .order_by("-received_at")
            .values_list("content", flat=True)[:MAX_TEXTS]
        )
        texts += [("demand", t) for t in rows]
    return texts


def term_ranking(slice_: Slice, *, limit: int = 20) -> list[dict[str, Any]]:
    """The most frequent terms of the slice's bad-rating texts and demand texts: term, count
    (texts), how many of them ratings and demands, and up to three masked example texts. Demands
    have no item, window or staff: with one of those filters only rating texts are read."""
    demands = not (slice_.item_id or slice_.window_id or slice_.staff_id)
    tk = tokenizer()
    counts: Counter = Counter()
    by_kind: dict[str, Counter] = {"rating": Counter(), "demand": Counter()}
    examples: dict[str, list[str]] = {}
    for kind, text in _texts(slice_, demands=demands):
        for term in terms_of(text, tk):
            counts[term] += 1
            by_kind[kind][term] += 1
            found = examples.setdefault(term, [])
            if len(found) < EXAMPLES:
                found.append(_example(text, term))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [
        {"term": term, "count": n, "ratings": by_kind["rating"][term], "demands": by_kind["demand"][term],
         "examples": examples[term]}
        for term, n in ranked
    ]  # fmt: skip
