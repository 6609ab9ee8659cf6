"""WSGI entry point: production serves through granian's WSGI interface (see README)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haochaping.settings")
# Shorter GIL hand-offs: a thread that holds the database writer lock gets the GIL back
# sooner after each SQLite call, instead of waiting up to the default 5 ms behind threads
# that parse requests (measured with bench/intake.py).
sys.setswitchinterval(float(os.environ.get("HAOCHAPING_GIL_SWITCH_INTERVAL", "0.0005")))
application = get_wsgi_application()

# Before the first request, not during it: the URLconf, the templates, jieba's dictionary.
if os.environ.get("HAOCHAPING_WARM_UP", "1") != "0":
    from haochaping.core.warmup import freeze_heap, warm_up

    warm_up()
    freeze_heap()  # after warm-up, so that what it loaded is never walked by the collector again
