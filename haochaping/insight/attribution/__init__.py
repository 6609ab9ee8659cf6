"""Attribution of bad ratings (通知 二(六)): which of the seven dimensions and which reasons drive
bad ratings, per unit, item, window, staff member and period (docs/subsystems/insight.md,
"Attribution").

* ``services``: ``causes_refresh`` fills one ``BadRatingCause`` per bad rating (the citizen's
  choice, else the text attributed automatically, else a staff correction); ``attribution_correct``
  records a correction (append-only, audited), never over a citizen's choice.
* ``selectors``: shares, monthly trend, the dimension × child-unit heat table, the reason
  ranking and the drill-down list, org-scoped.
* ``terms``: keyword ranking of bad-rating and demand texts (jieba with a domain dictionary and
  stop words from ``insight/data``), with masked example texts.
"""
