"""Claims 6, 7 and 4c: the study's open question, its engineering conclusion, and arithmetic on OPT.

Judged on published numbers by the chapter "Beyond Pythia and OPT", which shows the same results:
the rules, their records and their words are :mod:`helpers.experiments.beyond.claims`; this module
is their place in the claims table.
"""

from __future__ import annotations

from helpers.experiments.beyond.claims import claim4c, claim6, claim7

__all__ = ["claim4c", "claim6", "claim7"]
