"""The claims of the reproduced study and our verdicts: evidence, rules per kind of claim, the table.

- :mod:`.evidence`: published Pythia/OPT results and stored runs, loaded once;
- :mod:`.knowledge`: claims 1-2 (MMLU-math flat at 19-20%, below chance; claim 2's rule in :mod:`.below_chance`,
  their words in :mod:`.wording_knowledge`);
- :mod:`.loss_fall`: claim 3 (the MMLU answer loss falls 31%);
- :mod:`.scaling`: claims 4a, 4b (arithmetic accuracy and loss improve);
- :mod:`helpers.analysis.claims` (``records``, ``wording``): each judged part as a record, and its words
  (details, key numbers), below the chapters that show them too;
- :mod:`.swap`: claim 5 (attention swaps collapse accuracy);
- :mod:`.beyond`: claims 6, 7 and 4c (published data on 148 models: architecture, gains beyond 1-2B, OPT
  arithmetic), ruled by the chapter that shows them (:mod:`helpers.experiments.beyond.claims`);
- :mod:`.table`: findings in words, the compact table, the details.
"""

from helpers.report.claims.common import ClaimResult
from helpers.report.claims.table import CLAIM_RULES, claim_results, claims_frame, claims_table

__all__ = ["ClaimResult", "CLAIM_RULES", "claim_results", "claims_frame", "claims_table"]
