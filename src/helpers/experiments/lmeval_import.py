"""Import lm-evaluation-harness ``--log_samples`` output of our exported ``cc_`` tasks into the results store.

A GPU user runs ``lm_eval ... --include_path DIR --log_samples --output_path OUT`` on tasks
written by :func:`helpers.experiments.lmeval_export.write_task_yamls`; :func:`import_samples`
reads ``OUT`` (``results_<ts>.json`` + ``samples_<task>_<ts>.jsonl``, parsed strictly by
:mod:`helpers.experiments.lmeval_samples`), rebuilds our items for each task setting (shots
from the results file, few-shot seed from its ``fewshot_seed``), checks every sample against
our item (number of requests, context and continuation strings, gold, doc ids a prefix of our
item order; :mod:`helpers.experiments.lmeval_tasks`) and lays out exactly the rows
:func:`helpers.experiments.evaluation.evaluate` stores (:data:`~helpers.experiments.evaluation.ROW_COLUMNS`):
``token_logprobs`` and ``token_is_greedy`` are empty lists (the harness gives none); ``n_tokens`` comes from the
model's tokenizer when it is available offline (bundled Pythia/OPT tokenizers, a local or
offline model directory), else NaN; parameter counts from the registry (Pythia/OPT) or the
model directory's config, else the results file's ``model_num_parameters`` (total only), else NaN.

Everything is validated before anything is written; a refusal raises
:class:`~helpers.experiments.lmeval_samples.LmEvalImportError` (a ValueError naming file, line
and field) and leaves the store untouched. Rows go to the local store under
``result_key(ModelHandle(source, revision, dtype), setting, seed)`` and the evaluation code
version, so ``evaluate`` on the same settings reads them instead of scoring; the harness run's
provenance (model, revision, dtype, harness version and commit, date, file hashes) is recorded
in the key's ``provenance.json`` under ``extra.lm_eval``. A key already present (complete or
not) is never overwritten: it is reported as ``present``. Tasks run as one of our groups (e.g.
``cc_mmlu_math``) are stored under the group's setting (``mmlu_math``), as profiles name them.

Command line: ``python -m helpers.experiments.lmeval_import OUT [--store PATH] [--dry-run]
[--profile NAME] [--source MODEL]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.requests import Item
from helpers.core.tasks import GROUPS, TaskError
from helpers.experiments.config import load_profile
from helpers.experiments.evaluation import (
    ROW_COLUMNS,
    SHARD_SIZE,
    ModelHandle,
    build_setting_items,
    evaluation_code_version,
    model_provenance,
    result_key,
)
from helpers.experiments.lmeval_export import lmeval_name, our_task
from helpers.experiments.lmeval_samples import (
    LmEvalImportError,
    RunResults,
    find_runs,
    param_counts,
    read_results,
    run_model,
    token_counter,
)
from helpers.experiments.lmeval_tasks import ImportedTask, check_task, run_provenance, task_rows
from helpers.infra.profiles import Profile, TaskSetting
from helpers.infra.store import PROVENANCE_FILE, ResultStore, StoreStack

__all__ = ["ImportReport", "ImportedSetting", "LmEvalImportError", "import_samples", "main"]


@dataclass
class ImportedSetting:
    """One stored (or, in a dry run, storable) table: a task setting of one model from one run."""

    results_file: Path
    lm_eval_tasks: tuple[str, ...]
    handle: ModelHandle
    setting: TaskSetting
    seed: int | None
    key: dict[str, Any]
    n_items: int
    status: str  # "validated" (dry run), "written", or "present" (key already stored; not touched)
    store_path: Path | None = None
    unused: str = ""  # why the profile's notebooks never read this key ('' when they do, or no profile)
    rows: pd.DataFrame = field(default=None, repr=False)  # type: ignore[assignment]
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)  # recorded as extra.lm_eval
    items: list[Item] = field(default_factory=list, repr=False)  # the setting's units, as evaluate builds them


@dataclass
class ImportReport:
    """What :func:`import_samples` found and did."""

    source: Path
    dry_run: bool
    settings: list[ImportedSetting] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tasks of the runs that are not ours
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{'validated (dry run)' if self.dry_run else 'imported'} from {self.source}:"]
        for s in self.settings:
            lines.append(
                f"  {s.status:9} {s.handle.model_id} {s.setting.task} shots={s.setting.shots} "
                f"limit={s.setting.limit} kind={s.setting.kind}: {s.n_items} items, {len(s.rows)} rows"
                + (f" -> {s.store_path}" if s.store_path else "")
                + (f"\n            UNUSED: {s.unused}" if s.unused else "")
            )
        lines += [f"  skipped (not a capability-ceilings task): {t}" for t in self.skipped]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])


# ----------------------------------------------------------------------------- settings


def _kind(task: str, shots: int, profile: Profile | None) -> str:
    for kind, setting in profile.tasks.items() if profile else ():
        if setting.task == task and setting.shots == shots:
            return kind
    if "fulltext" in task:
        return "knowledge_fulltext"
    if task.startswith("mmlu"):
        return "knowledge_5shot" if shots else "knowledge"
    return "procedure" if task.startswith("arithmetic") else "pattern"


def _plan_run(
    run: RunResults, report: ImportReport, profile: Profile | None, source: str | None
) -> list[ImportedSetting]:
    configs = run.data["configs"]
    found: dict[str, tuple[str, dict]] = {}
    for name in configs:
        meta = configs[name].get("metadata") if isinstance(configs[name], dict) else None
        if not isinstance(meta, dict) or not str(meta.get("generated_by", "")).startswith("capability-ceilings"):
            report.skipped.append(f"{name} ({run.path.name})")
            continue
        ours = meta.get("cc_task")
        if not isinstance(ours, str) or ours in GROUPS or lmeval_name(ours) != name:
            raise run.error(
                ["configs", name, "metadata", "cc_task"], f"is {ours!r}, which is not the task named {name!r}."
            )
        found[name] = (ours, meta)
    if not found:
        return []
    handle, info = run_model(run, source)
    tasks = {name: check_task(run, name, ours, meta) for name, (ours, meta) in found.items()}
    total, nonembedding, params_origin = param_counts(handle, info)
    counter = token_counter(handle)
    units: list[tuple[str, list[ImportedTask]]] = []
    covered: set[str] = set()
    for group_name, members in (run.data.get("group_subtasks") or {}).items():
        try:
            group = our_task(group_name)
        except TaskError:
            continue
        expected = [lmeval_name(t) for t in GROUPS.get(group, ())]
        chosen = [tasks.get(n) for n in expected]
        if (
            sorted(members) != sorted(expected)
            or None in chosen
            or len({(t.shots, t.limit, t.seed) for t in chosen}) != 1
        ):  # type: ignore[union-attr]
            report.notes.append(
                f"{group_name} in {run.path.name}: subtasks differ in shots/limit or are "
                "incomplete; stored per subtask instead"
            )
            continue
        units.append((group, chosen))  # type: ignore[arg-type]
        covered.update(expected)
    units += [(t.ours, [t]) for name, t in tasks.items() if name not in covered]
    planned = []
    for task_name, members in units:
        first = members[0]
        setting = TaskSetting(_kind(task_name, first.shots, profile), task_name, first.shots, first.limit, first.path)
        items = build_setting_items(setting, first.seed)
        by_id: dict[tuple[str, str], list[dict]] = {}
        for row in task_rows(members, handle, setting.kind, (total, nonembedding), counter):
            by_id.setdefault((row["task"], row["item_id"]), []).append(row)
        if [(i.task, i.item_id) for i in items] != list(by_id):
            raise run.error(["configs", first.name], f"the imported documents do not give the items of {setting}.")
        frame = pd.DataFrame([r for rows in by_id.values() for r in rows], columns=ROW_COLUMNS)
        planned.append(
            ImportedSetting(
                run.path,
                tuple(t.name for t in members),
                handle,
                setting,
                first.seed,
                result_key(handle, setting, first.seed),
                len(items),
                "validated",
                rows=frame,
                provenance=run_provenance(run, info, members, params_origin, counter is not None),
                items=items,
            )
        )
    return planned


def unused_reason(planned: ImportedSetting, profile: Profile | None) -> str:
    """Why ``profile``'s notebooks would never read ``planned`` ('' when they would, or without a profile)."""
    if profile is None:
        return ""
    name, setting = profile.name, planned.setting
    if planned.handle.model_id not in {ModelHandle(source).model_id for source in profile.models}:
        return f"profile {name} has no model {planned.handle.model_id}"
    same = [s for s in profile.tasks.values() if s.task == setting.task and s.shots == setting.shots]
    if not same:
        return f"profile {name} does not run {setting.task} {setting.shots}-shot"
    if all(s.limit != setting.limit for s in same):
        limits = ", ".join("none (all items)" if s.limit is None else str(s.limit) for s in same)
        return (
            f"profile {name} runs {setting.task} {setting.shots}-shot with limit {limits}; this run used "
            f"limit {setting.limit} (lm_eval --limit), so the book never reads it: re-run lm_eval with the "
            f"profile's limit, or read it in a custom run (make notebook NB=scaling PROFILE={name} "
            f'PARAMS="-p limit {setting.limit}")'
        )
    return ""


# ----------------------------------------------------------------------------- entry points


def _model_provenance(handle: ModelHandle) -> dict[str, Any]:
    """What ``evaluate`` records about the model (offline build facts need the built model here)."""
    try:
        return model_provenance(handle)
    except Exception:  # noqa: BLE001 - e.g. the offline model is not built on the importing machine
        return {"source": handle.source, "model_id": handle.model_id, "revision": handle.revision}


def _rows_by_item(frame: pd.DataFrame):
    """A store compute function that hands back the imported rows of each chunk of items."""
    by_item = {key: group for key, group in frame.groupby(["task", "item_id"], sort=False)}
    return lambda chunk: pd.concat([by_item[(item.task, item.item_id)] for item in chunk], ignore_index=True)


def import_samples(
    samples_dir: str | Path,
    *,
    store: ResultStore | StoreStack | None = None,
    dry_run: bool = False,
    profile: str | Profile | None = None,
    source: str | None = None,
) -> ImportReport:
    """Validate, then (unless ``dry_run``) store, every ``cc_`` task of the lm-eval runs under ``samples_dir``.

    ``samples_dir``: lm_eval's ``--output_path`` (searched recursively) or one results JSON.
    ``store``: the local store (default: ``$CC_RESULTS`` or ``results/``). ``profile``: name the
    task kind of each setting as that profile does (by task and shots), else a default per task.
    ``source``: our model source when the run's ``pretrained=`` does not name it here.
    """
    if isinstance(profile, str):
        profile = load_profile(profile)
    report = ImportReport(Path(samples_dir), dry_run)
    for path in find_runs(samples_dir):
        report.settings += _plan_run(read_results(path), report, profile, source)
    if not report.settings:
        raise LmEvalImportError(
            samples_dir,
            1,
            "configs",
            "no capability-ceilings task (cc_*) in any run; "
            "export them with python -m helpers.experiments.lmeval_export and pass --include_path.",
        )
    version, seen = evaluation_code_version(), {}
    for planned in report.settings:
        marker = repr(sorted(planned.key.items()))
        if marker in seen:
            raise read_results(planned.results_file).error(
                ["configs", planned.lm_eval_tasks[0]],
                (
                    f"{planned.setting.task} of {planned.handle.model_id} is also in {seen[marker]}; "
                    "import one run at a time."
                ),
            )
        seen[marker] = planned.results_file
    stack = store if isinstance(store, StoreStack) else StoreStack(store if store is not None else ResultStore(), [])
    for planned in report.settings:
        planned.unused = unused_reason(planned, profile)
        local = stack.local_fields(planned.key, version)
        planned.store_path = stack.local.path(local)
        if dry_run:
            continue
        if (planned.store_path / PROVENANCE_FILE).exists():
            planned.status = "present"
            report.notes.append(
                f"{planned.store_path} already holds {planned.setting.task} of "
                f"{planned.handle.model_id}: kept, not overwritten"
            )
            continue
        stack.local.get_or_compute(
            local,
            planned.items,
            _rows_by_item(planned.rows),
            shard_size=SHARD_SIZE,
            progress=False,
            extra_provenance={"model": _model_provenance(planned.handle), "lm_eval": planned.provenance},
        )
        planned.status = "written"
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m helpers.experiments.lmeval_import DIR [--store PATH] [--dry-run]
    [--profile NAME] [--source MODEL]``; 0 when imported, 2 when refused (the reason on stderr)."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.experiments.lmeval_import",
        description="Import lm-eval --log_samples output of cc_ tasks into the results store.",
    )
    parser.add_argument("directory", help="lm_eval --output_path (or one results_<timestamp>.json)")
    parser.add_argument("--store", default=None, help="results store root (default: $CC_RESULTS or results/)")
    parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    parser.add_argument("--profile", default=None, help="name task kinds as this profile does (e.g. paper)")
    parser.add_argument("--source", default=None, help="our model source, if pretrained= does not resolve here")
    args = parser.parse_args(argv)
    try:
        report = import_samples(
            args.directory,
            store=ResultStore(args.store) if args.store else None,
            dry_run=args.dry_run,
            profile=args.profile,
            source=args.source,
        )
    except ValueError as error:  # LmEvalImportError, or an unknown --profile
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
