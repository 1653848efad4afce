"""Numbers to statistics: per-item metrics, intervals, tests, trends, power, baselines, scaling fits, published data.

numpy, pandas, scipy and statsmodels only; never torch.
"""
