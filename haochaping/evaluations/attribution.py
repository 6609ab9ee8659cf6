"""Automatic attribution of a bad rating's free text to one of the seven rating dimensions
(通知 二(六)) and, where the words allow, to a reason of the default indicator set.

Deterministic, pure Python: the text is split into clauses at punctuation, each clause is
segmented with ``jieba.lcut`` (dictionary only, ``HMM=False``), and a weighted lexicon is
matched per clause. A lexicon entry of one or two characters must equal one token or a run of
consecutive tokens, or begin or end a token ("收费" in "乱收费", "白跑" in "白跑一趟"; but "跑"
does not match inside "长跑者"); a longer entry matches as a
substring of the clause (so "排了两个多钟头" still finds "排了"). Overlapping matches keep only
the longest one ("态度恶劣" does not also count as "态度").

Negation and emphasis, read per clause:

* a clause opening with a denial ("不是", "倒不是", "不怪", "并非", "不在于" …) does not count
  up to a contrast word ("是", "而是", "就是" …) in the same clause: "不是态度问题，是材料反复要"
  is about materials;
* a clause introduced by "就是", "主要是", "关键是", "而是" … weighs 1.5 times; a concessive clause
  ("倒是", "虽然", "还算") weighs half: "材料倒是一次就收了，就是态度恶劣" is about attitude.

The dimension with the highest score wins (ties: more matched words, then the dimension order
of the rating); the reason is the highest-scoring reason code among the winner's matched
entries, or None. The evidence is the matched words in text order. A text with no match has
no attribution (``None``). The labelled set in ``data/attribution_labelled.jsonl`` and
``make bench-attribution`` measure it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache

import jieba

from haochaping.evaluations.choices import DIMENSION_FIELDS

jieba.setLogLevel(logging.WARNING)

# (word, weight, reason code or None), per dimension field name. Reason codes are those of the
# default indicator set (data/indicators_default.json, levels 1–2).
LEXICON: dict[str, list[tuple[str, float, str | None]]] = {
    "commitment": [
        ("承诺", 2.0, "WD-CN-B02"), ("说好", 2.0, "WD-CN-B02"), ("讲好", 2.0, "WD-CN-B02"),
        ("答应", 2.0, "WD-CN-B02"), ("说话不算话", 3.0, "WD-CN-B02"), ("不认了", 2.0, "WD-CN-B02"),
        ("没兑现", 2.5, "WD-CN-B02"), ("未兑现", 2.5, "WD-CN-B02"), ("没落实", 2.0, "WD-CN-B02"),
        ("未落实", 2.0, "WD-CN-B02"), ("没有落实", 2.0, "WD-CN-B02"), ("空话", 2.0, "WD-CN-B02"),
        ("摆设", 1.5, "WD-CN-B02"), ("嘴上说说", 2.0, "WD-CN-B02"), ("没回复", 1.0, "WD-CN-B02"),
        ("都没回", 1.0, "WD-CN-B02"), ("没这回事", 2.0, "WD-CN-B02"), ("上门", 1.0, "WD-CN-B02"),
        ("专人跟进", 2.0, "WD-CN-B02"), ("邮寄", 1.0, "WD-CN-B02"), ("预留", 1.0, "WD-CN-B02"),
        ("工作日", 2.0, "WD-CN-B01"), ("时限", 2.0, "WD-CN-B01"), ("期限", 2.0, "WD-CN-B01"),
        ("办结时间", 2.0, "WD-CN-B01"), ("当场办结", 1.5, "WD-CN-B01"), ("说好的日期", 2.0, "WD-CN-B01"),
        ("日期", 1.0, "WD-CN-B01"), ("能拿证", 1.0, "WD-CN-B01"), ("出结果", 1.0, "WD-CN-B01"),
        ("公示", 1.0, "WD-CN-B01"),
    ],
    "attitude": [
        ("态度", 2.5, "WD-TD-B01"), ("服务意识", 2.0, "WD-TD-B01"), ("凶", 2.0, "WD-TD-B01"),
        ("吼", 2.5, "WD-TD-B01"), ("骂", 2.5, "WD-TD-B01"), ("训", 2.0, "WD-TD-B01"),
        ("冷漠", 2.5, "WD-TD-B01"), ("生硬", 2.0, "WD-TD-B01"), ("板着脸", 2.5, "WD-TD-B01"),
        ("脸色", 2.0, "WD-TD-B01"), ("口气", 2.0, "WD-TD-B01"), ("语气", 2.0, "WD-TD-B01"),
        ("说话难听", 2.5, "WD-TD-B01"), ("很冲", 2.0, "WD-TD-B01"), ("大呼小叫", 2.5, "WD-TD-B01"),
        ("尊重", 1.5, "WD-TD-B01"), ("欠他", 1.5, "WD-TD-B01"), ("热情", 1.5, "WD-TD-B01"),
        ("恶劣", 2.0, "WD-TD-B01"), ("不耐烦", 2.5, "XC-TD-B02"), ("敷衍", 2.5, "XC-TD-B02"),
        ("敷衍了事", 2.5, "XC-TD-B02"), ("应付", 2.0, "XC-TD-B02"), ("爱答不理", 2.5, "XC-TD-B02"),
        ("爱搭不理", 2.5, "XC-TD-B02"), ("不理", 1.5, "XC-TD-B02"), ("不愿意多说", 2.0, "XC-TD-B02"),
        ("不舒服", 1.0, "XC-TD-B02"), ("一问三不知", 1.5, "XC-TD-B02"), ("刁难", 3.0, "WD-TD-B02"),
        ("为难", 2.5, "WD-TD-B02"), ("挑骨头", 2.5, "WD-TD-B02"), ("故意", 1.5, "WD-TD-B02"),
        ("存心", 1.5, "WD-TD-B02"), ("卡着", 1.5, "WD-TD-B02"), ("玩手机", 3.0, "XC-TD-B03"),
        ("手机", 1.5, "XC-TD-B03"), ("脱岗", 3.0, "XC-TD-B03"), ("离岗", 3.0, "XC-TD-B03"),
        ("窗口空着", 2.5, "XC-TD-B03"), ("找不到人", 1.5, "XC-TD-B03"), ("聊天", 2.0, "XC-TD-B03"),
        ("嗑瓜子", 2.5, "XC-TD-B03"), ("晾在一边", 2.0, "XC-TD-B03"),
    ],
    "materials": [
        ("材料", 1.0, None), ("证明", 2.0, "WD-CL-B01"), ("开证明", 2.5, "WD-CL-B01"), ("规定以外", 3.0, "WD-CL-B01"),
        ("没这个规定", 2.0, "WD-CL-B01"), ("复印", 1.5, "WD-CL-B01"), ("复印件", 1.5, "WD-CL-B01"),
        ("原件", 1.0, "WD-CL-B01"), ("盖章", 1.0, "WD-CL-B01"), ("盖村委会", 2.0, "WD-CL-B01"),
        ("奇葩", 2.0, "WD-CL-B01"), ("额外", 2.0, "WD-CL-B01"), ("要交的", 1.5, "WD-CL-B01"),
        ("繁琐", 2.0, "WD-CL-B01"), ("开不出来", 2.0, "WD-CL-B01"), ("收入证明", 1.0, "WD-CL-B01"),
        ("户口本", 1.5, "WS-ZN-B01"), ("不用", 0.5, "WD-CL-B01"), ("反复变", 3.0, "WD-CL-B02"),
        ("一直在变", 3.0, "WD-CL-B02"), ("老变", 2.5, "WD-CL-B02"), ("朝令夕改", 3.0, "WD-CL-B02"),
        ("又说要", 2.0, "WD-CL-B02"), ("又要", 1.0, "WD-CL-B02"), ("少一样", 2.0, "WD-CL-B02"),
        ("三个版本", 2.0, "WD-CL-B02"), ("指南", 2.5, "WS-ZN-B01"), ("清单", 2.0, "WS-ZN-B01"),
        ("对不上", 2.0, "WS-ZN-B01"), ("不一样", 1.5, "WS-ZN-B01"), ("没写", 1.5, "WS-ZN-B01"),
        ("网上说", 1.0, "WS-ZN-B01"), ("网站上写", 1.5, "WS-ZN-B01"), ("看不懂", 2.5, "WS-ZN-B02"),
        ("不清不楚", 2.0, "WS-ZN-B02"), ("太专业", 2.0, "WS-ZN-B02"), ("难填", 2.5, "WS-ZN-B02"),
        ("样表", 2.0, "WS-ZN-B02"), ("表格", 1.5, "WS-ZN-B02"),
    ],
    "efficiency": [
        ("排队", 3.0, "XC-XL-B01"), ("排了", 2.5, "XC-XL-B01"), ("等了", 1.5, "XC-XL-B01"),
        ("等候", 2.0, "XC-XL-B01"), ("等号", 2.5, "XC-XL-B01"), ("小时", 1.0, "XC-XL-B01"),
        ("一上午", 1.0, "XC-XL-B01"), ("人挤人", 1.5, "XC-XL-B01"), ("干等", 1.5, "WD-XL-B01"),
        ("等到下班", 2.0, "XC-XL-B01"), ("叫号", 2.5, "XC-XL-B03"), ("窗口开的太少", 3.0, "XC-XL-B03"),
        ("只开了", 2.5, "XC-XL-B03"), ("就一个人", 2.0, "XC-XL-B03"), ("审核", 2.5, "WS-XL-B01"),
        ("审批", 2.0, "WS-XL-B01"), ("无人处理", 2.0, "WS-XL-B01"), ("没人处理", 2.0, "WS-XL-B01"),
        ("二十天", 1.0, "WS-XL-B01"), ("退回", 3.0, "WS-XL-B02"), ("退了", 2.0, "WS-XL-B02"),
        ("不通过", 1.5, "WS-XL-B02"), ("拖延", 3.0, "WD-XL-B01"), ("一拖再拖", 3.0, "WD-XL-B01"),
        ("拖沓", 3.0, "WD-XL-B01"), ("磨磨蹭蹭", 3.0, "WD-XL-B01"), ("慢吞吞", 3.0, "WD-XL-B01"),
        ("效率", 3.0, "WD-XL-B01"), ("太慢", 2.5, "WD-XL-B01"), ("好慢", 2.0, "WD-XL-B01"),
        ("慢", 1.0, "WD-XL-B01"), ("搞半天", 2.0, "WD-XL-B01"), ("推一下动一下", 3.0, "WD-XL-B01"),
        ("层层审批", 2.0, "WD-XL-B01"), ("一个礼拜", 1.0, "WD-XL-B01"), ("一个月", 1.0, "WD-XL-B01"),
        ("三天", 0.5, "WD-XL-B01"), ("签字", 0.5, "WD-XL-B01"),
    ],
    "trips": [
        ("跑", 1.5, "WD-PT-B01"), ("跑了", 2.5, "WD-PT-B01"), ("来回跑", 3.0, "WD-PT-B01"),
        ("趟", 2.5, "WD-PT-B01"), ("白跑", 3.0, "WD-PT-B01"), ("白来", 3.0, "WD-PT-B01"),
        ("跑腿", 2.5, "WD-PT-B01"), ("往返", 3.0, "WD-PT-B01"), ("来回", 2.0, "WD-PT-B01"),
        ("来来回回", 2.5, "WD-PT-B01"), ("折腾", 2.0, "WD-PT-B01"), ("好几回", 2.0, "WD-PT-B01"),
        ("跑了三回", 3.0, "WD-PT-B01"), ("第二次来", 2.5, "WD-PT-B01"), ("改天再来", 2.0, "WD-PT-B01"),
        ("无数趟", 3.0, "WD-PT-B01"), ("三回", 1.5, "WD-PT-B01"), ("最多跑一次", 2.5, "WD-PT-B01"),
        ("又白来", 1.0, "WD-PT-B01"), ("现场", 2.5, "WS-BJ-B02"), ("跑现场", 3.0, "WS-BJ-B02"),
        ("到大厅", 2.5, "WS-BJ-B02"), ("网上提交了", 2.5, "WS-BJ-B02"), ("网上办了", 2.5, "WS-BJ-B02"),
        ("核验", 1.0, "WS-BJ-B02"), ("带原件过来", 2.0, "WS-BJ-B02"), ("重复提交", 3.0, "WS-BJ-B01"),
    ],
    "mechanism": [
        ("系统", 2.0, "WS-CZ-B02"), ("无法登录", 3.0, "WS-CZ-B02"), ("打不开", 2.5, "WS-CZ-B02"),
        ("闪退", 3.0, "WS-CZ-B02"), ("报错", 3.0, "WS-CZ-B02"), ("卡死", 3.0, "WS-CZ-B02"),
        ("故障", 2.5, "WS-CZ-B02"), ("提交不了", 2.5, "WS-CZ-B02"), ("上传不了", 2.5, "WS-CZ-B02"),
        ("提交一直失败", 3.0, "WS-CZ-B02"), ("自助机坏了", 3.0, "WS-CZ-B02"), ("坏了", 1.5, "WS-CZ-B02"),
        ("操作复杂", 3.0, "WS-CZ-B01"), ("流程太复杂", 3.0, "WS-CZ-B01"), ("步骤太多", 2.5, "WS-CZ-B01"),
        ("填半天", 2.0, "WS-CZ-B01"), ("小程序", 2.0, "WS-CZ-B02"), ("不会用", 1.5, "WS-CZ-B01"),
        ("业务不熟", 3.0, "XC-SP-B01"), ("不熟练", 3.0, "XC-SP-B01"), ("业务太生疏", 3.0, "XC-SP-B01"),
        ("生疏", 2.5, "XC-SP-B01"), ("一知半解", 3.0, "XC-SP-B01"), ("搞不清楚", 2.5, "XC-SP-B01"),
        ("解答不准确", 3.0, "XC-SP-B01"), ("三个说法", 3.0, "XC-SP-B01"), ("政策", 1.0, "XC-SP-B01"),
        ("一次性告知", 3.0, "XC-SP-B02"), ("一次讲清楚", 3.0, "XC-SP-B02"), ("没说清楚", 2.0, "XC-SP-B02"),
        ("每次只说一样", 3.0, "XC-SP-B02"), ("补交", 2.0, "XC-SP-B02"), ("又补了一次", 2.5, "XC-SP-B02"),
        ("推诿", 3.0, "XC-SP-B03"), ("踢皮球", 3.5, "XC-SP-B03"), ("互相推", 3.0, "XC-SP-B03"),
        ("推来推去", 3.5, "XC-SP-B03"), ("不归", 2.0, "XC-SP-B03"), ("谁都不管", 2.5, "XC-SP-B03"),
        ("电话", 2.0, "WD-JZ-B01"), ("热线", 2.5, "WD-JZ-B01"), ("打不通", 3.0, "WD-JZ-B01"),
        ("占线", 3.0, "WD-JZ-B01"), ("没人接", 3.0, "WD-JZ-B01"), ("预约", 2.5, "WD-JZ-B01"),
        ("约不上", 3.0, "WD-JZ-B01"), ("约满", 3.0, "WD-JZ-B01"), ("咨询", 1.5, "WD-JZ-B01"),
        ("帮办", 3.0, "WD-JZ-B02"), ("代办", 3.0, "WD-JZ-B02"), ("适老化", 3.0, "WD-JZ-B02"),
        ("老人", 1.0, "WD-JZ-B02"), ("残疾人", 2.0, "WD-JZ-B02"), ("制度", 2.5, None), ("流程设计", 2.5, None),
    ],
    "integrity": [
        ("好处", 3.5, "WD-LJ-B01"), ("好处费", 3.5, "WD-LJ-B01"), ("吃拿卡要", 4.0, "WD-LJ-B01"),
        ("红包", 4.0, "WD-LJ-B01"), ("给了点烟", 4.0, "WD-LJ-B01"), ("请吃饭", 3.5, "WD-LJ-B01"),
        ("索要", 3.5, "WD-LJ-B01"), ("财物", 3.0, "WD-LJ-B01"), ("中介", 3.0, "WD-LJ-B01"),
        ("勾结", 3.5, "WD-LJ-B01"), ("转账给他", 3.5, "WD-LJ-B01"), ("私下", 2.0, "WD-LJ-B01"),
        ("托关系", 3.5, "WD-LJ-B01"), ("走后门", 3.5, "WD-LJ-B01"), ("熟人", 2.5, "WD-LJ-B01"),
        ("腐败", 4.0, "WD-LJ-B01"), ("暗示", 1.5, "WD-LJ-B01"), ("插队", 1.5, "WD-LJ-B01"),
        ("收费", 3.5, "WD-LJ-B02"), ("乱收", 4.0, "WD-LJ-B02"), ("多收", 3.5, "WD-LJ-B02"),
        ("收了", 2.0, "WD-LJ-B02"), ("收了钱", 3.0, "WD-LJ-B02"), ("收取", 3.0, "WD-LJ-B02"),
        ("收据", 3.0, "WD-LJ-B02"), ("手续费", 3.0, "WD-LJ-B02"), ("服务费", 3.0, "WD-LJ-B02"),
        ("材料费", 3.0, "WD-LJ-B02"), ("一百块", 1.5, "WD-LJ-B02"),
    ],
}  # fmt: skip

DENIALS = ("倒不是", "并不是", "不是因为", "不是", "不怪", "不关", "并非", "不在于", "谈不上", "算不上")
CONTRASTS = ("而是", "就是", "主要是", "关键是", "是")
EMPHASIS = ("就是", "主要是", "关键是", "而是", "但是", "可是", "只是", "问题是")
CONCESSIVE = ("倒是", "虽然", "还算", "尽管", "倒还")
EMPHASIS_FACTOR = 1.5
CONCESSIVE_FACTOR = 0.5
SHORT = 2  # entries up to this length must align with jieba tokens

_SEPARATOR = re.compile(r"[\s\u3000,，.。!！?？;；:：、()（）\[\]【】<>《》\"'“”‘’/\\|~…—\-]+")


@dataclass
class Attribution:
    dimension: str
    reason: str | None
    evidence: list[str] = field(default_factory=list)
    score: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"dimension": self.dimension, "reason": self.reason, "evidence": list(self.evidence)}


def _token_runs(clause: str) -> set[str]:
    toks = [t for t in jieba.lcut(clause, HMM=False) if t.strip()]
    runs: set[str] = set()
    for tok in toks:  # a short entry may also begin or end a longer token ("白跑一趟", "乱收费")
        for cut in range(1, min(len(tok), SHORT + 1)):
            runs.update((tok[:cut], tok[-cut:]))
    for start in range(len(toks)):
        for end in range(start + 1, min(start + 4, len(toks)) + 1):
            runs.add("".join(toks[start:end]))
    return runs


def _live_span(clause: str) -> tuple[int, float]:
    """Where in the clause matches start to count, and the clause's weight factor."""
    start = 0
    for denial in DENIALS:
        pos = clause.find(denial)
        if pos != -1 and pos <= 2:  # the clause opens with a denial ("倒不是", "其实不是" …)
            after = pos + len(denial)
            start = len(clause)
            for contrast in CONTRASTS:
                cpos = clause.find(contrast, after)
                if cpos != -1:
                    start = min(start, cpos + len(contrast))
            break
    factor = 1.0
    if any(clause.startswith(word) for word in EMPHASIS):
        factor = EMPHASIS_FACTOR
    elif any(word in clause for word in CONCESSIVE):
        factor = CONCESSIVE_FACTOR
    return start, factor


_Entry = tuple[int, str, str, float, str | None]  # (lexicon order, word, dimension, weight, reason)


@cache
def _by_first_char() -> dict[str, list[_Entry]]:
    """The lexicon (lower-cased) indexed by each word's first character, in lexicon order: a
    clause is only compared with the words that can start in it (the same matches, faster)."""
    index: dict[str, list[_Entry]] = {}
    order = 0
    for dimension in DIMENSION_FIELDS:
        for word, weight, reason in LEXICON.get(dimension, []):
            word = word.lower()
            index.setdefault(word[0], []).append((order, word, dimension, weight, reason))
            order += 1
    return index


def _matches(clause: str) -> list[tuple[int, str, str, float, str | None]]:
    """(position, word, dimension, weight, reason) of the clause's non-overlapping matches."""
    lowered = clause.lower()
    runs = _token_runs(lowered)
    index = _by_first_char()
    entries = sorted(entry for char in set(lowered) for entry in index.get(char, ()))
    found: list[tuple[int, str, str, float, str | None]] = []
    for _, word, dimension, weight, reason in entries:
        if len(word) <= SHORT and word not in runs:
            continue
        pos = lowered.find(word)
        if pos != -1:
            found.append((pos, word, dimension, weight, reason))
    # Longest first: a match inside a longer one already taken does not count again.
    found.sort(key=lambda m: (-len(m[1]), m[0]))
    taken: list[tuple[int, int]] = []
    kept = []
    for match in found:
        begin, end = match[0], match[0] + len(match[1])
        if any(begin >= b and end <= e for b, e in taken):
            continue
        taken.append((begin, end))
        kept.append(match)
    return kept


def attribute(text: str) -> Attribution | None:
    """The dimension (and reason, and evidence) a bad rating's text most likely speaks of."""
    scores: dict[str, float] = {}
    counts: dict[str, int] = {}
    reasons: dict[tuple[str, str], float] = {}
    evidence: dict[str, list[tuple[int, str]]] = {}
    offset = 0
    for clause in _SEPARATOR.split(text or ""):
        if not clause:
            continue
        offset += 1
        live_from, factor = _live_span(clause)
        for pos, word, dimension, weight, reason in _matches(clause):
            if pos < live_from:
                continue
            scores[dimension] = scores.get(dimension, 0.0) + weight * factor
            counts[dimension] = counts.get(dimension, 0) + 1
            if reason:
                reasons[(dimension, reason)] = reasons.get((dimension, reason), 0.0) + weight * factor
            evidence.setdefault(dimension, []).append((offset * 10_000 + pos, word))
    if not scores:
        return None
    order = {name: i for i, name in enumerate(DIMENSION_FIELDS)}
    best = min(scores, key=lambda d: (-scores[d], -counts[d], order[d]))
    candidates = [(r, s) for (d, r), s in reasons.items() if d == best]
    reason = min(candidates, key=lambda rs: (-rs[1], rs[0]))[0] if candidates else None
    words: list[str] = []
    for _, word in sorted(evidence[best]):
        if word not in words:
            words.append(word)
    return Attribution(dimension=best, reason=reason, evidence=words, score=round(scores[best], 2))


def auto_attribution(
    *, level: int, text: str, dimensions: dict[str, int | None], reasons: list[str]
) -> dict[str, object] | None:
    """The ``attribution`` of a rating read (API): only for a bad rating (level 1–2) that carries
    a text but no dimension and no reason chosen by the citizen, whose choice is never
    overridden; None otherwise or when nothing in the text matches."""
    if level > 2 or not (text or "").strip() or reasons or any(v is not None for v in dimensions.values()):
        return None
    found = attribute(text)
    if found is None:
        return None
    return {**found.as_dict(), "source": "auto"}
