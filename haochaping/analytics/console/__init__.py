"""Analytics pages: overview and drill-down, rankings (and 考核, 重点督办, 通报)."""
