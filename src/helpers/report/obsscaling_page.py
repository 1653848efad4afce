"""The published-reference page's list of the Observational Scaling Laws models the report uses."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.obsscaling import read_benchmark, read_emergent
from helpers.render.markdown import markdown_table, table_directive


def obsscaling_models_markdown() -> str:
    """One row per family: its models (smallest first), with FLOPs or not, and in the arithmetic file or not."""
    bench = read_benchmark()
    arithmetic = set(read_emergent(benchmark=bench)["model"])
    rows = []
    for family, group in bench.sort_values(["family", "params"]).groupby("family", sort=True):
        names = [
            m.split("/")[-1] + ("" if pd.notna(f) else "°") + ("*" if m in arithmetic else "")
            for m, f in zip(group["model"], group["flops"])
        ]
        rows.append((family, str(len(group)), ", ".join(names)))
    table = table_directive(
        "Models of the Observational Scaling Laws data used by the chapter Beyond Pythia and OPT",
        "obsscaling-models-table",
        markdown_table(("family", "models", "names"), rows),
    )
    return (
        f"The chapter {{doc}}`experiments/beyond` and claims 6, 7 and 4c read {len(bench)} base models in "
        f"{bench['family'].nunique()} families from `data/reference/obsscaling/` (Ruan, Maddison and "
        "Hashimoto 2024; provenance and licence in its `SOURCES.md`): Open LLM Leaderboard v1 scores, MMLU "
        "5-shot in the letter format. ° marks a model without training FLOPs in the file (left out of every "
        "view against compute, and named there); * a model with GPT-3 arithmetic results.\n\n" + table
    )
