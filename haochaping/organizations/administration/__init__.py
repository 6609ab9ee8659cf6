"""Administration of the organisation: the unit tree, windows, staff and console accounts.

Services for the console pages (``organizations/console/``) and for anything else that creates
or changes these rows from plain values (the Excel import, the command line):

* ``rules``: who may administer what (SPEC §1) — the centre's supervisors manage units; they and
  department admins manage windows, staff and accounts of their own subtree; nobody grants a role
  above their own; ``PLATFORM`` is the unrestricted scope of the command line;
* ``checks``: the value checks (unit code, 行政区划代码, 统一社会信用代码, names, staff photos);
* ``units``, ``windows``, ``staff``, ``accounts``: the writes, each ``@transaction.atomic`` and
  audited, taking the caller's ``Scope``; an update that changes nothing writes nothing (so a
  re-import is a no-op).

Nothing here deletes a row: units, windows, staff and accounts are deactivated, and whatever
referenced them (services, ratings, cases, audit events) keeps pointing at them.

The package's ``__init__`` imports nothing, so that ``organizations.services`` can use ``checks``.
"""
