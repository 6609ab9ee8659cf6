from haochaping.testing_browser import browser  # noqa: F401  (fixture)
