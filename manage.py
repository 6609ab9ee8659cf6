#!/usr/bin/env python
"""Django's command-line utility; `haochaping` (haochaping/cli.py) wraps it."""

import os
import sys

# Commands that only read the models and never the data: they need no deployment keys, so a
# developer (or a pre-commit check) can run them in a bare checkout. Everything else still
# refuses to start without keys outside demo mode (settings.py).
KEYLESS = {"makemigrations", "help", "version", "--help", "--version"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haochaping.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS:
        os.environ.setdefault("HAOCHAPING_DEMO", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
