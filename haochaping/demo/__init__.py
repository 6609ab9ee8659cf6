"""The demo district (平顶山市石龙区, 410404): organisation, items, users and a year of traffic.

``haochaping.demo.seed.seed_demo`` builds it through the real services; ``manage.py seed_demo``
(``haochaping seed-demo``) runs it. All people, phone numbers and ID numbers are synthetic.
"""
