"""Common problems (共性问题, 制度第十一条): concentrations of bad ratings (and demands) on one
item, window, staff member, reason or key phrase are detected (``detection``), proposed to a
supervisor, and handled once as a 共性问题 case (``services``, ``workflow``) until 双归零: the
linked bad-rating cases all closed and the common problem closed. See docs/subsystems/insight.md.

The models live in ``insight.problems.models`` (imported by ``insight.models`` so Django finds
them); the 通报 section is ``insight.problems.report``.
"""
