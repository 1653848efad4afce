"""Strict readers of lm-evaluation-harness 0.4.x output: ``results_<ts>.json`` and ``samples_<task>_<ts>.jsonl``.

The harness's CLI (``--output_path OUT --log_samples``) writes, per run, into
``OUT/<sanitized model name>/``: one ``results_<timestamp>.json`` (``config`` with model,
``model_args``, ``model_dtype``, ``model_revision``, ``limit``, ``fewshot_seed``; ``configs``,
``versions``, ``n-shot``, ``group_subtasks`` per task; ``lm_eval_version``, ``git_hash``,
``date``) and one ``samples_<task>_<timestamp>.jsonl`` per task, one line per document:
``doc_id``, ``doc``, ``target`` (a string), ``arguments`` (``{"gen_args_<i>": {"arg_0":
context, "arg_1": continuation}}``, or a list of pairs) and ``filtered_resps`` (``[logprob,
is_greedy]`` per request, as strings). Every problem raises :class:`LmEvalImportError`, whose
message names the file, the line (1-based; for the pretty-printed results JSON the line of
the field) and the field. :func:`run_model` maps the run's model to our :class:`ModelHandle`;
:func:`param_counts` and :func:`token_counter` give what the harness does not report.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core.requests import Request
from helpers.experiments.evaluation import ModelHandle

__all__ = [
    "LmEvalImportError",
    "Sample",
    "RunResults",
    "find_runs",
    "read_results",
    "read_samples",
    "run_model",
    "param_counts",
    "token_counter",
]

HF_MODELS = ("hf", "hf-auto", "huggingface")
RESULTS_PATTERN = re.compile(r"^results_(?P<stamp>.+)\.json$")


class LmEvalImportError(ValueError):
    """A malformed lm-eval output file, or one that does not match our tasks.

    ``path``, ``line`` (1-based) and ``field`` locate the problem; the message names all three.
    """

    def __init__(self, path: Path | str, line: int, field: str, reason: str):
        self.path, self.line, self.field, self.reason = Path(path), line, field, reason
        where = "" if field == "(path)" else f"line {line}: field {field!r}: "  # "(path)": the path itself is wrong
        super().__init__(f"{path}: {where}{reason}")


@dataclass(frozen=True)
class Sample:
    """One ``--log_samples`` line: the harness's requests and answers for one document."""

    path: Path
    line: int
    doc_id: int
    requests: tuple[tuple[str, str], ...]  # (context, continuation) per request
    target: str
    scores: tuple[tuple[float, bool], ...]  # (logprob, is_greedy) per request

    def error(self, field_name: str, reason: str) -> LmEvalImportError:
        return LmEvalImportError(self.path, self.line, field_name, reason)


def _json_line(text: str, keys: Sequence[str]) -> int:
    """Line (1-based) of the nested field ``keys`` in pretty-printed JSON ``text`` (best effort)."""
    lines = text.splitlines()
    line = 0
    for key in keys:
        needle = json.dumps(key, ensure_ascii=False) + ":"
        for index in range(line, len(lines)):
            if lines[index].lstrip().startswith(needle):
                line = index
                break
        else:
            break
    return line + 1


@dataclass
class RunResults:
    """A parsed ``results_<stamp>.json``; :meth:`error` builds located errors."""

    path: Path
    stamp: str
    data: dict[str, Any]
    text: str = field(repr=False)

    def error(self, keys: Sequence[str], reason: str) -> LmEvalImportError:
        return LmEvalImportError(self.path, _json_line(self.text, keys), ".".join(keys), reason)

    def get(self, keys: Sequence[str], kind: type | tuple[type, ...], what: str) -> Any:
        """``data[k0][k1]...`` checked to be ``kind``, else a located error."""
        value: Any = self.data
        for depth, key in enumerate(keys):
            if not isinstance(value, dict) or key not in value:
                raise self.error(
                    keys[: depth + 1], f"missing; expected {what}. Is this an lm-evaluation-harness 0.4.x results file?"
                )
            value = value[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise self.error(keys, f"is {value!r}; expected {what}.")
        return value

    def samples_path(self, task: str) -> Path:
        return self.path.with_name(f"samples_{task}_{self.stamp}.jsonl")


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def find_runs(location: str | Path) -> list[Path]:
    """Every ``results_<stamp>.json`` under ``location`` (a results file, or a folder searched recursively)."""
    path = Path(location).expanduser()
    if path.is_file():
        if not RESULTS_PATTERN.match(path.name):
            raise LmEvalImportError(path, 1, "(file name)", "not a results_<timestamp>.json file of lm-eval.")
        return [path]
    if not path.is_dir():
        raise LmEvalImportError(path, 1, "(path)", "does not exist; give lm_eval's --output_path folder.")
    runs = sorted(p for p in path.rglob("results_*.json") if RESULTS_PATTERN.match(p.name))
    if not runs:
        raise LmEvalImportError(
            path,
            1,
            "(folder)",
            "holds no results_<timestamp>.json; run lm_eval with --output_path there and --log_samples.",
        )
    return runs


def read_results(path: Path) -> RunResults:
    """Parse a results JSON (an object with ``config``, ``configs``, ``versions``, ``n-shot``)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LmEvalImportError(path, error.lineno, "(JSON)", f"not valid JSON ({error.msg}).") from error
    run = RunResults(path, RESULTS_PATTERN.match(path.name)["stamp"], data if isinstance(data, dict) else {}, text)
    if not isinstance(data, dict):
        raise LmEvalImportError(path, 1, "(JSON)", "is not a JSON object.")
    for key, what in (
        ("config", "the run's model settings"),
        ("configs", "task configs"),
        ("versions", "task versions"),
        ("n-shot", "shots per task"),
    ):
        run.get([key], dict, what)
    return run


def _requests(sample: dict, error) -> tuple[tuple[str, str], ...]:
    raw = sample.get("arguments")
    if isinstance(raw, dict):
        names = [f"gen_args_{i}" for i in range(len(raw))]
        if list(raw) != names:
            raise error("arguments", f"keys {list(raw)} are not {names}.")
        pairs = [
            (raw[n].get("arg_0"), raw[n].get("arg_1")) if isinstance(raw[n], dict) else (None, None) for n in names
        ]
        labels = [(f"arguments.{n}.arg_0", f"arguments.{n}.arg_1") for n in names]
    elif isinstance(raw, list):
        pairs = [tuple(p) if isinstance(p, (list, tuple)) and len(p) == 2 else (None, None) for p in raw]
        labels = [(f"arguments[{i}][0]", f"arguments[{i}][1]") for i in range(len(raw))]
    else:
        raise error("arguments", f"is {raw!r}; expected the request strings of every choice.")
    if not pairs:
        raise error("arguments", "holds no request.")
    for (context, continuation), (context_label, continuation_label) in zip(pairs, labels):
        if not isinstance(context, str):
            raise error(context_label, f"is {context!r}; expected the context string.")
        if not isinstance(continuation, str):
            raise error(continuation_label, f"is {continuation!r}; expected the continuation string.")
    return tuple(pairs)  # type: ignore[arg-type]


def _score(value: Any, label: str, error) -> tuple[float, bool]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise error(label, f"is {value!r}; expected [logprob, is_greedy].")
    raw_logprob, raw_greedy = value
    try:
        if isinstance(raw_logprob, bool):
            raise ValueError
        logprob = float(raw_logprob)
    except (TypeError, ValueError):
        raise error(f"{label}[0]", f"logprob {raw_logprob!r} is not a number.") from None
    if not math.isfinite(logprob) or logprob > 1e-6:
        raise error(f"{label}[0]", f"logprob {raw_logprob!r} is not a finite log-probability (<= 0).")
    if isinstance(raw_greedy, bool):
        return logprob, raw_greedy
    if raw_greedy not in ("True", "False") or not isinstance(raw_greedy, str):
        raise error(f"{label}[1]", f"is_greedy {raw_greedy!r} is not True or False.")
    return logprob, raw_greedy == "True"


def read_samples(path: Path) -> list[Sample]:
    """Parse a samples JSONL file; every line must be one loglikelihood document."""
    if not path.is_file():
        raise LmEvalImportError(
            path,
            1,
            "(file)",
            "is missing: run lm_eval with --log_samples (the samples file sits next to its results_<timestamp>.json).",
        )
    samples = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue

            def error(field_name: str, reason: str, _line: int = line_no) -> LmEvalImportError:
                return LmEvalImportError(path, _line, field_name, reason)

            try:
                sample = json.loads(line)
            except json.JSONDecodeError as err:
                raise error("(JSON)", f"not valid JSON ({err.msg}).") from err
            if not isinstance(sample, dict):
                raise error("(JSON)", "is not a JSON object.")
            doc_id = sample.get("doc_id")
            if not isinstance(doc_id, int) or isinstance(doc_id, bool) or doc_id < 0:
                raise error("doc_id", f"is {doc_id!r}; expected a document index >= 0.")
            if sample.get("filter", "none") != "none":
                raise error("filter", f"is {sample.get('filter')!r}; only the 'none' filter is imported.")
            if not isinstance(sample.get("target"), str):
                raise error("target", f"is {sample.get('target')!r}; expected the gold answer as a string.")
            requests = _requests(sample, error)
            resps = sample.get("filtered_resps")
            if not isinstance(resps, list) or len(resps) != len(requests):
                raise error(
                    "filtered_resps",
                    f"has {len(resps) if isinstance(resps, list) else resps!r} "
                    f"entries for {len(requests)} requests; expected one [logprob, is_greedy] each.",
                )
            scores = tuple(_score(value, f"filtered_resps[{i}]", error) for i, value in enumerate(resps))
            samples.append(Sample(path, line_no, doc_id, requests, sample["target"], scores))
    if not samples:
        raise LmEvalImportError(path, 1, "(file)", "holds no samples.")
    return samples


# ----------------------------------------------------------------------------- the run's model


def _model_args(run: RunResults) -> dict[str, str]:
    raw = run.get(["config", "model_args"], (str, dict), "the model arguments (pretrained=...)")
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    pairs = [part.split("=", 1) for part in raw.split(",") if part.strip()]
    if any(len(p) != 2 for p in pairs):
        raise run.error(["config", "model_args"], f"{raw!r} is not key=value,key=value.")
    return {k.strip(): v.strip() for k, v in pairs}


def _source_of(pretrained: str) -> str | None:
    """Our model source for lm_eval's ``pretrained``: offline:<name> for our offline cache, else as given."""
    path = Path(pretrained).expanduser()
    if not path.is_dir():
        return None if path.is_absolute() or pretrained.startswith((".", "~")) else pretrained
    from helpers.core.models.offline import OFFLINE_MODELS, OfflineModelError, model_dir

    for name in OFFLINE_MODELS:
        try:
            if model_dir(name).resolve() == path.resolve():
                return f"offline:{name}"
        except OfflineModelError:
            continue
    return f"local:{path.resolve()}"


def run_model(run: RunResults, source: str | None) -> tuple[ModelHandle, dict[str, Any]]:
    """Our :class:`ModelHandle` of the run's model (``source`` overrides ``pretrained=``) and its facts.

    ``pretrained`` = our offline cache's directory -> ``offline:<name>``; another existing
    directory -> ``local:<dir>``; else a hub id, at ``revision`` (``main`` = the default, None).
    dtype from ``model_args`` (``auto``: the run's ``model_dtype``).
    """
    model = run.get(["config", "model"], str, "the lm_eval model type")
    if model not in HF_MODELS:
        raise run.error(
            ["config", "model"],
            f"{model!r}: only Hugging Face runs ({', '.join(HF_MODELS)}) "
            "score log-likelihoods the way our engine does.",
        )
    args, config = _model_args(run), run.data["config"]
    pretrained = args.get("pretrained")
    if not pretrained:
        raise run.error(["config", "model_args"], "has no pretrained=...; cannot tell which model was run.")
    dtype = args.get("dtype", args.get("torch_dtype", "auto"))
    if dtype == "auto":
        dtype = str(config.get("model_dtype") or "auto")
    dtype = dtype.removeprefix("torch.")
    revision = args.get("revision") or config.get("model_revision") or None
    chosen = source or _source_of(pretrained)
    if chosen is None:
        raise run.error(
            ["config", "model_args"],
            f"pretrained={pretrained} is a directory that does not exist "
            "here; pass source= (--source) naming the same model here.",
        )
    kind_is_hub = "/" in chosen and not chosen.startswith(("local:", "offline:", "random:"))
    try:
        handle = ModelHandle(
            chosen, revision=revision if kind_is_hub and revision != "main" else None, dtype=dtype, device="cpu"
        )
    except ValueError as error:
        hint = " Run lm_eval with dtype=float32 or bfloat16 in --model_args." if "dtype" in str(error) else ""
        raise run.error(
            ["config", "model_args"], f"model {chosen!r} (dtype {dtype!r}, revision {revision!r}): {error}{hint}"
        ) from None
    info = {
        "model": model,
        "model_args": config.get("model_args"),
        "pretrained": pretrained,
        "source": chosen,
        "revision": revision,
        "dtype": dtype,
        "model_sha": config.get("model_sha"),
        "model_num_parameters": config.get("model_num_parameters"),
    }
    return handle, info


def param_counts(handle: ModelHandle, info: dict[str, Any]) -> tuple[float, float, str]:
    """``(total, non-embedding, origin)``: registry (Pythia/OPT), the model directory's config
    (counted on the meta device, as the engine counts), the run's ``model_num_parameters``
    (total only), else NaN."""
    from helpers.core.models import MODELS, count_parameters, hf_config

    try:
        registered = [s for s in MODELS.values() if s.hub_id == handle.model_id]
        if registered:
            return (*count_parameters(hf_config(registered[0])), "registry")
        directory = handle.facts.directory()
        if directory is not None:
            from transformers import AutoConfig

            return (*count_parameters(AutoConfig.from_pretrained(directory)), "model config")
    except Exception:  # noqa: BLE001 - counts are best effort; the results file may have them
        pass
    total = info.get("model_num_parameters")
    if isinstance(total, int) and not isinstance(total, bool) and total > 0:
        return float(total), math.nan, "results file (total only)"
    return math.nan, math.nan, "unknown"


def token_counter(handle: ModelHandle) -> Callable[[Sequence[Request]], list[int]] | None:
    """``requests -> [n continuation tokens]`` with the model's tokenizer, or None if not available offline."""
    from helpers.core.scoring.encoding import encode_requests

    try:
        tokenizer = handle.facts.tokenizer()  # bundled (Pythia/OPT), the model folder, or the hub cache
    except Exception:  # noqa: BLE001 - no tokenizer offline: n_tokens stays NaN
        return None
    return lambda requests: [len(e.continuation_ids) for e in encode_requests(tokenizer, requests)]
