"""Text to log-likelihoods: the request contract, tasks, models (and the offline builder), the scoring engine,
attention interventions.

torch and transformers live here and below nothing else.
"""
