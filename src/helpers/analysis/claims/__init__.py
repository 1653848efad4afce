"""The claims' verdicts as records and their words, below the chapters so a chapter shows the verdicts the
claims table prints (:mod:`.records`: a judged part; :mod:`.result`: a claim's row; :mod:`.wording`: every
part's text)."""
