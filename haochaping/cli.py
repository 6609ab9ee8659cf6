"""The `haochaping` console command: a thin wrapper over manage.py with hyphenated names.

haochaping serve [--with-worker] | worker [--once] | migrate | seed-demo | createadmin
haochaping systems add --name N [--unit C] | systems list
haochaping unlock <username> | unlock --ip <address>
haochaping calendar show 2027 | calendar import FILE [--dry-run]
haochaping indicators list | indicators import FILE [--activate] [--dry-run]
haochaping import units|matters|windows|staff FILE.xlsx [--dry-run] | import KIND FILE.xlsx --template
haochaping rollups refresh | rollups rebuild [--from D --to D] | supervision evaluate [--month YYYY-MM]
haochaping attribute [--json] "差评文字" | attribution refresh [--since YYYY-MM-DD]
haochaping problems detect [--at YYYY-MM-DD]
haochaping audit verify | audit checkpoint | <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"seed-demo": "seed_demo"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haochaping.settings")
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__.strip())
        print("\n完整命令列表：haochaping list-commands")
        if not args:
            return
        return
    if args[0] == "list-commands":
        args = ["help"]
    args[0] = ALIASES.get(args[0], args[0])
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["haochaping", *args])
    except ImproperlyConfigured as exc:
        # A configuration error (missing keys outside demo mode, a malformed variable) is the
        # operator's to fix: the message names the variable; a traceback would only hide it.
        print(f"配置错误：{exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
