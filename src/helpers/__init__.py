"""helpers: the thin package behind the capability-ceilings report.

One module per concern (see README "Code map"): ``paths`` (where data and caches live),
``requests`` (the log-likelihood request contract), ``tasks`` (task data -> requests),
``models`` (registry and loading), ``scoring`` (batched log-likelihood engine),
``metrics``, ``scaling``, ``attention``, ``store``, ``plots``, ``run``.
"""

__version__ = "0.1.0"
