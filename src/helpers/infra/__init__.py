"""Infrastructure at the bottom layer: paths, profiles, provenance, atomic files, the results store, jobs and the
runner's machinery.

Nothing here knows about models or experiments; nothing here imports torch.
"""
