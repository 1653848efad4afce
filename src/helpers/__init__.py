"""helpers: the thin package behind the capability-ceilings report.

One module per concern (see README "Code map"): ``paths`` (where data and caches live),
``requests`` (the log-likelihood request contract), ``tasks`` (task data -> requests),
``models`` (registry and loading), ``scoring`` (batched log-likelihood engine),
``metrics``, ``scaling``, ``attention``, ``store``, ``plots``, ``run``.
"""

__version__ = "0.1.0"

import warnings

# In a notebook kernel without ipywidgets, importing tqdm.auto (ours and huggingface_hub's)
# warns "IProgress not found" and falls back to text progress bars, which is what we want:
# the warning would otherwise print a local path into the first cell of every chapter.
warnings.filterwarnings("ignore", message="IProgress not found")
