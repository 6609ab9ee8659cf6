"""The first, automatic category suggestion for a demand: keyword tables over jieba tokens.

A text is segmented with ``jieba.lcut`` (dictionary only, ``HMM=False``: the same text always
gives the same tokens, with no statistical new-word guessing). A keyword matches when it
equals one token or a run of up to four consecutive tokens of the same clause, so "来回跑"
matches "来回 / 跑" and "营业执照" matches "营业执照", but "收费" does not match inside an
unrelated longer word. Each category scores the weights of its own matched keywords plus
those of its ancestors; only categories with a match of their own are candidates, so a text
about "微信小程序登录不上" lands on 系统平台 › 移动端 rather than on 系统平台. Ties go to more
matched keywords, then the deeper category, then the tree order: the result is deterministic.

What the citizen *does* in the text outranks what it is about. Three intents are read from
fixed word lists (not the editable tables): a **complaint** (a problem signal such as "坏了",
"没人管", "等了", "太慢"), else a **question** ("请问", "咨询", a question mark), else a
**suggestion** ("建议", "希望", "能否"). Categories whose kind fits the intent (complaint: 诉求 and
投诉 kinds; question: 咨询; suggestion: 意见建议 and 表扬) rank before all others, whatever their
score: "等了一个多小时，叫号屏坏了没人管，希望增加窗口" is a complaint about waiting, not a
suggestion, although 希望 and 增加 weigh as much as 等了 and 小时. A complaint whose subject no
fitting category knows goes to the first top-level complaint category (投诉举报), with its
problem signals as the matched words. A keyword or signal preceded in its clause (up to three
tokens back) by a denial ("不是", "并非", "不算") does not count: "不是态度问题，是流程太复杂" is
about the process.

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


def load_dictionary() -> None:
    """Load jieba's dictionary (from its cache file; 0.6–1 s), which ``jieba.lcut`` would do on
    its first call; a server worker calls this at start (``core.warmup``)."""
    jieba.initialize()


MAX_RUN = 4
NEGATION_REACH = 3  # tokens back from a keyword within which a denial cancels it
NEGATORS = frozenset({"不是", "并非", "不算", "谈不上", "算不上", "无关"})

# Problem signals: the citizen says something went wrong (matched like keywords, as token runs).
COMPLAINT_SIGNALS = frozenset(
    {
        "投诉", "举报", "坏了", "坏掉", "损坏", "没人管", "没人修", "没人理", "不管", "没人", "太慢", "很慢", "慢死",
        "太差", "很差", "差劲", "太低", "太久", "很久", "太长", "太多", "太少", "太小", "太复杂", "太麻烦",
        "不耐烦", "爱答不理", "刁难", "推诿", "扯皮", "敷衍", "乱收费", "多收", "失败", "打不开", "登录不上",
        "进不去", "闪退", "卡顿", "太卡", "崩溃", "不在岗", "脱岗", "迟到", "受不了", "等了", "还没", "还没有",
        "没消息", "老是", "总是", "根本", "不给", "不让", "来回跑", "白跑", "跑了好几趟", "不合理", "不满",
        "不满意", "气愤", "生气", "训斥", "好处费", "索要", "拖延", "超时", "逾期", "不作为", "停不下",
        "说不清", "不清楚", "没人接", "态度差", "不理", "不理人", "玩手机",
    }
)  # fmt: skip
QUESTION_SIGNALS = frozenset(
    {"请问", "咨询", "想问", "问一下", "问问", "想了解", "想知道", "怎么办理", "如何办理", "需要什么", "需要哪些"}
)
QUESTION_MARKS = ("?", "？")
SUGGESTION_SIGNALS = frozenset({"建议", "希望", "能否", "能不能", "可否", "应该", "最好"})

# Category kinds (``outreach.choices.CategoryKind`` values) that fit each intent.
FITTING_KINDS = {
    "complaint": frozenset({"request", "complaint"}),
    "question": frozenset({"consultation"}),
    "suggestion": frozenset({"suggestion", "praise"}),
}
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


def phrases(text: str, *, affirmed_only: bool = False) -> set[str]:
    """Every token and every run of up to ``MAX_RUN`` consecutive tokens within a clause; with
    ``affirmed_only``, without the runs that a denial shortly before them cancels."""
    found: set[str] = set()
    for clause in tokens(text):
        for start in range(len(clause)):
            if affirmed_only and NEGATORS.intersection(clause[max(0, start - NEGATION_REACH) : start]):
                continue
            for end in range(start + 1, min(start + MAX_RUN, len(clause)) + 1):
                found.add("".join(clause[start:end]))
    return found


def intent(text: str, grams: set[str] | None = None) -> str | None:
    """ "complaint", "question", "suggestion" or None: what the text does, in that precedence."""
    grams = phrases(text, affirmed_only=True) if grams is None else grams
    if grams & COMPLAINT_SIGNALS:
        return "complaint"
    if grams & QUESTION_SIGNALS or any(mark in (text or "") for mark in QUESTION_MARKS):
        return "question"
    if grams & SUGGESTION_SIGNALS:
        return "suggestion"
    return None


@dataclass(frozen=True)
class _Node:
    id: int
    code: str
    name: str
    parent_id: int | None
    kind: str
    table: tuple[tuple[str, float], ...]
    order: int


def suggest(text: str, categories: Iterable) -> Suggestion | None:
    """The best-matching active category for ``text``, or None when no keyword matches.

    ``categories`` are ``DemandCategory`` rows (or anything with id, code, name, parent_id,
    keywords, is_active and kind), in tree order.
    """
    nodes = {
        c.id: _Node(c.id, c.code, c.name, c.parent_id, str(c.kind), tuple(keyword_table(c.keywords)), i)
        for i, c in enumerate(categories)
        if c.is_active
    }
    if not nodes:
        return None
    grams = phrases(text, affirmed_only=True)
    purpose = intent(text, grams)
    fitting = FITTING_KINDS.get(purpose or "", frozenset())
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
        key = (node.kind in fitting, score, len(matched), depth, -node.order)
        if best is None or key > best[0]:
            best = (key, node, tuple(matched))
    if purpose == "complaint" and (best is None or not best[0][0]):
        return _unplaced_complaint(nodes, grams) or _suggestion(best)
    return _suggestion(best)


def _suggestion(best: tuple | None) -> Suggestion | None:
    if best is None:
        return None
    key, node, matched = best
    return Suggestion(node.id, node.code, node.name, key[1], matched)


def _unplaced_complaint(nodes: dict[int, _Node], grams: set[str]) -> Suggestion | None:
    """A complaint about nothing the tables know: the first top-level complaint category."""
    for node in nodes.values():
        if node.parent_id is None and node.kind == "complaint":
            signals = tuple(sorted(grams & COMPLAINT_SIGNALS))
            return Suggestion(node.id, node.code, node.name, 0.0, signals)
    return None
