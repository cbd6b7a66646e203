"""Django's PostgreSQL backend with the identity read prepared and a health check
without a round trip: part of the bespoke per-request identity read, used only with
FAST_IDENTITY on (the default). provenance/accounts/identity.py gives the reason and
the load figures; with FAST_IDENTITY=0 settings name Django's own backend instead.

A package because Django loads a database ENGINE as `<package>.base`.
"""
