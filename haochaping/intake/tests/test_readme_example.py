"""The README's integration example, run as written against a live server."""

import importlib.util
import re
from pathlib import Path

import pytest

from haochaping.rectification.models import RectificationCase
from haochaping.testing import build_cast

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "push_and_rate.py"


def test_readme_embeds_the_example_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = EXAMPLE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert code in blocks


@pytest.mark.django_db(transaction=True)
def test_example_pushes_a_record_and_a_bad_rating_opens_a_case(live_server, capsys):
    cast = build_cast()
    spec = importlib.util.spec_from_file_location("push_and_rate", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(live_server.url, cast.system_all.app_id, cast.secret_all)
    case = RectificationCase.objects.get()
    assert result["rating"]["case"]["number"] == case.number
    assert case.state == "pending_verify" and case.evaluation.level == 1
    out = capsys.readouterr().out
    assert "办件 201" in out and "评价 201 非常不满意 → 工单 CP" in out
