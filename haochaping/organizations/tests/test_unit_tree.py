"""unit_tree: per-unit report rows that roll each unit's counts up into its ancestors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from haochaping.organizations.selectors import Scope, unit_tree

pytestmark = pytest.mark.django_db


@dataclass
class Row:
    code: str
    name: str
    depth: int = 0
    n: int = 0

    def add(self, counts) -> None:
        self.n += counts.get("n", 0)


def test_district_rows_sum_their_subtree_and_own_row_keeps_direct_counts(cast):
    tree = unit_tree(scope=Scope(unit_path=cast.district.path), row=Row)
    assert tree.name == cast.district.name
    assert [r.code for r in tree.rows.values()] == ["CENTER", "JD01", "JD01-SQ01", "RSJ", "SCJG"]
    tree.add(cast.community.path, {"n": 2})
    tree.add(cast.street.path, {"n": 1})
    tree.add(cast.district.path, {"n": 5})
    rows = {r.code: r for r in tree.rows.values()}
    assert (rows["JD01"].n, rows["JD01"].depth) == (3, 0)
    assert (rows["JD01-SQ01"].n, rows["JD01-SQ01"].depth) == (2, 1)
    assert rows["SCJG"].n == 0
    assert (tree.own.name, tree.own.n) == (f"{cast.district.name}（本级）", 5)
    assert (tree.total.name, tree.total.n) == ("合计", 8)


def test_a_unit_without_sub_units_is_its_own_only_row(cast):
    tree = unit_tree(scope=Scope(unit_path=cast.unit_a.path), row=Row)
    tree.add(cast.unit_a.path, {"n": 4})
    assert [(r.code, r.n) for r in tree.rows.values()] == [("SCJG", 4)]
    assert tree.own.n == 0 and tree.total.n == 4
