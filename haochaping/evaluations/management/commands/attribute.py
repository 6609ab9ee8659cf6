"""`haochaping attribute [--json] "TEXT"`: the automatic attribution of a bad rating's text
(``evaluations.attribution``) for scripts. With ``--json`` it prints exactly one JSON object
``{"dimension": CODE, "reason": CODE_OR_NULL, "evidence": [WORDS]}`` (``dimension`` is null when
no word of the lexicon matches); an empty text is refused with exit code 2."""

import json

from django.core.management.base import BaseCommand, CommandError

from haochaping.evaluations.attribution import attribute
from haochaping.evaluations.choices import Dimension


class Command(BaseCommand):
    help = "差评文字自动归因：判断评价文字反映的评价维度（及评价理由），列出依据的关键词"

    def add_arguments(self, parser):
        parser.add_argument("text", help="评价文字")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        text = (options["text"] or "").strip()
        if not text:
            raise CommandError("评价文字为空，无法归因：请提供差评的文字内容", returncode=2)
        found = attribute(text)
        result = found.as_dict() if found else {"dimension": None, "reason": None, "evidence": []}
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        if found is None:
            self.stdout.write("未能归因：文字中没有可识别的维度关键词")
            return
        label = dict(Dimension.choices).get(found.dimension, found.dimension)
        self.stdout.write(f"维度：{label}（{found.dimension}）")
        self.stdout.write(f"理由：{found.reason or '—'}")
        self.stdout.write(f"依据：{'、'.join(found.evidence)}")
