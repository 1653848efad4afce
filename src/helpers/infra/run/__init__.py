"""The runner's machinery: run fill jobs (in-process, N workers, Slurm), execute notebooks, report.

It knows nothing about experiments: the command line (:mod:`helpers.cli`) reads the experiment
registry and hands this package the jobs and the notebook paths.
"""
