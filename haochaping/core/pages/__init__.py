"""Helpers shared by the staff pages of every app: paging, filter bars, downloads, Excel tables.

The one module below the domain apps that their ``console/`` packages all import (it imports no
domain app itself). The page decorator that resolves the caller's scope lives with the scope,
in ``organizations.pages``; the layout and navigation live in the ``console`` shell.
"""
