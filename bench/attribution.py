"""Attribution benchmark: top-1 dimension accuracy of ``evaluations.attribution.attribute`` on
the labelled bad-rating texts (``haochaping/evaluations/data/attribution_labelled.jsonl``).

Run (deterministic, a few seconds, no database)::

    .venv/bin/python bench/attribution.py            # held-out and training parts
    .venv/bin/python bench/attribution.py --errors   # also list the misattributed texts

It prints, per part, the top-1 dimension accuracy, the reason accuracy over the texts that carry
a reason label, and the confusion counts (labelled dimension → attributed dimension; "-" = no
attribution). The held-out part was written before the lexicon and is not tuned against.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haochaping.evaluations.attribution import attribute  # noqa: E402
from haochaping.evaluations.choices import DIMENSION_FIELDS  # noqa: E402

DATA = ROOT / "haochaping" / "evaluations" / "data" / "attribution_labelled.jsonl"


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if split is None or row["split"] == split]


def measure(rows: list[dict]) -> dict:
    right = reason_right = reason_total = 0
    confusion: Counter[tuple[str, str]] = Counter()
    errors = []
    for row in rows:
        found = attribute(row["text"])
        got = found.dimension if found else "-"
        confusion[(row["dimension"], got)] += 1
        if got == row["dimension"]:
            right += 1
        else:
            errors.append((row["dimension"], got, row["text"], found.evidence if found else []))
        if row.get("reason"):
            reason_total += 1
            reason_right += bool(found and found.reason == row["reason"])
    return {
        "n": len(rows),
        "accuracy": right / len(rows) if rows else 0.0,
        "reason_n": reason_total,
        "reason_accuracy": reason_right / reason_total if reason_total else 0.0,
        "confusion": confusion,
        "errors": errors,
    }


def report(name: str, result: dict, *, show_errors: bool) -> None:
    print(f"{name}: top-1 dimension accuracy {result['accuracy']:.1%} ({result['n']} texts); "
          f"reason accuracy {result['reason_accuracy']:.1%} ({result['reason_n']} with a reason label)")  # fmt: skip
    columns = [*DIMENSION_FIELDS, "-"]
    print("  confusion (rows: labelled, columns: attributed)")
    print("  " + " " * 11 + "".join(f"{c[:6]:>7}" for c in columns))
    for label in DIMENSION_FIELDS:
        print(f"  {label:<11}" + "".join(f"{result['confusion'][(label, c)]:>7}" for c in columns))
    if show_errors:
        for label, got, text, evidence in result["errors"]:
            print(f"    {label} → {got}: {text}  {evidence}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the misattributed texts")
    parser.add_argument("--split", choices=["heldout", "train"], help="only this part")
    args = parser.parse_args(argv)
    for split, name in (("heldout", "held-out"), ("train", "training")):
        if args.split in (None, split):
            report(name, measure(load(split)), show_errors=args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
