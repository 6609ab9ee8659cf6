"""WSGI entry point: production serves through granian's WSGI interface (see README)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haochaping.settings")
application = get_wsgi_application()
