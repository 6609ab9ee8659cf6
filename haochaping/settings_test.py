"""Settings for the test suite: the demo keys, plain-HTTP cookies, fast password hashing.

``DATABASE_URL`` still decides the database, so the suite runs on SQLite and on PostgreSQL.
"""

import os

os.environ.setdefault("HAOCHAPING_DEMO", "1")
os.environ.setdefault("HAOCHAPING_SECURE_COOKIES", "0")

from haochaping.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
