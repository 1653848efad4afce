"""The batched log-likelihood engine: lm-evaluation-harness's numbers, computed with less work.

Per request it returns what ``HFLM.loglikelihood`` returns (the summed log-probability of
the continuation and whether every continuation token is the argmax), from the same token
windows (:mod:`helpers.core.scoring.encoding`). It differs from the harness only in how much it
computes:

1. requests with identical model inputs share one row (the harness's one-token cache);
2. rows sharing a token prefix (a few-shot prefix, a multiple-choice question) run that
   prefix once and reuse its keys/values (:mod:`helpers.core.scoring.planning`);
3. rows are sorted longest first and cut into the batches that cost least (padding plus a
   fixed cost per forward pass) within a token budget, right-padded (causal attention never
   looks right, so padding changes nothing and needs no mask);
4. the output projection runs only at scored positions: the transformer body
   (``model.base_model``) gives hidden states, the scored ones are gathered and projected
   with ``model.get_output_embeddings()`` plus the family's logit post-processing (Gemma's
   final soft-capping, Cohere/Granite scaling). At start-up this path is checked against the
   model's own ``forward`` on a probe; if it differs, the engine falls back to full logits.

``log_softmax`` runs in fp32 whatever the model dtype (the harness keeps the model dtype).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from helpers.core.requests import Request, Score
from helpers.core.scoring.assembly import assemble_score, distinct_inputs
from helpers.core.scoring.encoding import ScoringInputError, encode_requests, model_window, resolve_max_length
from helpers.core.scoring.planning import PrefixNode, pack_batches, plan_prefix_tree

log = logging.getLogger(__name__)

PROBE_LENGTH = 12  # tokens in the start-up check of the projected-head path
# What one forward pass costs beyond its token positions, in positions. On a CPU a pass reads
# every weight once whatever its size: SmolLM2-135M fp32 on 2 cores costs 29-41 ms + 1.7 ms
# per position, i.e. 17-24 positions (benchmarks/bench_scoring.py --pass-overhead). On a GPU
# the fixed part (weights, kernel launches) is worth hundreds of positions.
CPU_PASS_OVERHEAD = 32
ACCELERATOR_PASS_OVERHEAD = 512
KeyValues = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: ([batch, kv_heads, seq, head_dim]) x 2


@dataclass
class WorkCounts:
    """Token positions run through the transformer body in one :meth:`Scorer.score` call."""

    real: int = 0  # positions holding a token (shared prefixes counted once)
    padded: int = 0  # real + padding positions, i.e. what was computed
    scored: int = 0  # positions whose logits were computed


def _is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower()
    )


class Scorer:
    """Scores :class:`~helpers.core.requests.Request` lists on one model (see the module docstring).

    ``max_length`` defaults to the harness's choice (config ``n_positions`` /
    ``max_position_embeddings`` / ``n_ctx``, else the tokenizer's, else 2048);
    ``batch_tokens`` caps ``rows * padded length`` per forward pass (the prefix included);
    ``min_shared_prefix`` is the least number of shared tokens worth a separate prefix pass;
    ``pass_overhead`` is what one forward pass costs beyond its positions, in positions
    (default: the measured ``CPU_PASS_OVERHEAD`` on a CPU, ``ACCELERATOR_PASS_OVERHEAD``
    elsewhere); batches and shared prefixes are planned to minimise positions plus overheads.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        max_length: int | None = None,
        batch_tokens: int = 4096,
        max_batch_size: int = 64,
        min_shared_prefix: int = 1,
        pass_overhead: int | None = None,
        progress: bool = True,
    ):
        for name, value in (
            ("batch_tokens", batch_tokens),
            ("max_batch_size", max_batch_size),
            ("min_shared_prefix", min_shared_prefix),
        ):
            if not isinstance(value, int) or value < 1:
                raise ScoringInputError(f"{name} must be a positive integer, got {value!r}.")
        if pass_overhead is not None and (
            isinstance(pass_overhead, bool) or not isinstance(pass_overhead, int) or pass_overhead < 0
        ):
            raise ScoringInputError(
                f"pass_overhead must be a non-negative integer or None (the device default), got {pass_overhead!r}."
            )
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            raise ScoringInputError(
                f"max_length must be a positive integer or None (the model's window), got {max_length!r}."
            )
        if model.training:
            raise ScoringInputError(
                "The model is in training mode (dropout active), so scores would be random; call model.eval() first."
            )
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length or resolve_max_length(model.config, tokenizer)
        self.batch_tokens = batch_tokens
        self.max_batch_size = max_batch_size
        self.min_shared_prefix = min_shared_prefix
        self.progress = progress
        self.device = model.device
        if pass_overhead is None:
            pass_overhead = CPU_PASS_OVERHEAD if self.device.type == "cpu" else ACCELERATOR_PASS_OVERHEAD
        self.pass_overhead = pass_overhead
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._row_cap = max_batch_size  # lowered when a batch runs out of memory
        self.last_counts = WorkCounts()  # of the latest score() call
        body = model.base_model
        self.body = body if body is not model else None
        self.projects_scored_only = self.body is not None and self._projected_head_matches()
        if not self.projects_scored_only:
            log.warning(
                "%s: projecting only scored positions does not reproduce model(...).logits; "
                "computing full logits (slower, same numbers).",
                type(model).__name__,
            )

    # ---- model calls -------------------------------------------------------------------
    def _head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits from last hidden states, as the model's own forward computes them."""
        logits = self.model.get_output_embeddings()(hidden)  # [..., vocab]
        config = self.model.config.get_text_config()
        softcap = getattr(config, "final_logit_softcapping", None)
        if softcap is not None:  # Gemma 2/3
            logits = torch.tanh(logits / softcap) * softcap
        if getattr(config, "logit_scale", None) is not None:  # Cohere
            logits = logits * config.logit_scale
        if getattr(config, "logits_scaling", None) is not None:  # Granite
            logits = logits / config.logits_scaling
        return logits

    @torch.inference_mode()
    def _projected_head_matches(self) -> bool:
        """Does ``_head(body(x))`` equal ``model(x).logits`` on a probe sequence?"""
        vocab = self.model.get_output_embeddings().weight.shape[0]
        probe = (torch.arange(PROBE_LENGTH, device=self.device) * 7919 + 13) % vocab
        reference = self.model(probe[None]).logits.float()  # [1, probe, vocab]
        hidden = self.body(input_ids=probe[None]).last_hidden_state  # [1, probe, hidden]
        projected = self._head(hidden).float()
        scale = max(1.0, reference.abs().max().item())
        return bool((projected - reference).abs().max().item() <= 1e-4 * scale)

    def _prefix_keys_values(self, token_ids: Sequence[int], parent: KeyValues | None) -> KeyValues:
        """Keys/values after running ``token_ids`` (batch 1) on top of ``parent`` (not modified)."""
        cache = DynamicCache(ddp_cache_data=parent) if parent else DynamicCache()
        input_ids = torch.tensor([list(token_ids)], dtype=torch.long, device=self.device)  # [1, new]
        self.last_counts.real += len(token_ids)
        self.last_counts.padded += len(token_ids)
        (self.body or self.model)(input_ids=input_ids, past_key_values=cache, use_cache=True)
        return [(layer.keys, layer.values) for layer in cache.layers]

    def _scored_log_probs(
        self, input_ids: torch.Tensor, prefix: KeyValues | None, batch_index: torch.Tensor, position: torch.Tensor
    ) -> torch.Tensor:
        """fp32 log-probs at (batch_index[i], position[i]) of a right-padded batch.

        input_ids: [batch, suffix]; prefix: keys/values of a batch-1 prefix or None;
        batch_index, position: [n_scored]. Returns [n_scored, vocab].
        """
        batch = input_ids.shape[0]
        cache = None
        if prefix:
            cache = DynamicCache(
                ddp_cache_data=[(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in prefix]
            )
        kwargs = dict(input_ids=input_ids, past_key_values=cache, use_cache=cache is not None)
        if self.projects_scored_only:
            hidden = self.body(**kwargs).last_hidden_state  # [batch, suffix, hidden]
            logits = self._head(hidden[batch_index, position])  # [n_scored, vocab]
        else:
            logits = self.model(**kwargs).logits[batch_index, position]  # [n_scored, vocab]
        return torch.log_softmax(logits.float(), dim=-1)

    # ---- scoring -----------------------------------------------------------------------
    @torch.inference_mode()
    def score(
        self, requests: Sequence[Request], *, return_token_values: bool = False, desc: str = "scoring"
    ) -> list[Score]:
        """One :class:`Score` per request, in input order."""
        requests = list(requests)
        windows = [model_window(encoded, self.max_length) for encoded in encode_requests(self.tokenizer, requests)]
        rows = distinct_inputs(windows)
        tree = plan_prefix_tree(
            [row.input_ids for row in rows],
            [len(row.input_ids) - row.n_scored for row in rows],
            min_shared=self.min_shared_prefix,
            overhead=self.pass_overhead,
        )
        results: list[Score | None] = [None] * len(requests)
        self.last_counts = WorkCounts()
        with tqdm(total=len(requests), desc=desc, disable=not self.progress) as bar:
            self._score_node(tree, None, rows, windows, results, return_token_values, bar)
        return results  # type: ignore[return-value]  # every slot filled by _score_node

    def _score_node(
        self, node: PrefixNode, parent: KeyValues | None, rows, windows, results, token_values, bar
    ) -> None:
        """Score the rows of ``node`` and its children; ``parent`` holds the parent's prefix."""
        prefix = parent
        if node.prefix_len:
            parent_len = parent[0][0].shape[-2] if parent else 0
            new_tokens = rows[_first_row(node)].input_ids[parent_len : node.prefix_len]
            prefix = self._prefix_keys_values(new_tokens, parent)
        lengths = {index: len(rows[index].input_ids) for index in node.rows}
        batches = pack_batches(
            node.rows,
            lengths,
            batch_tokens=self.batch_tokens,
            max_batch_size=self.max_batch_size,
            prefix_len=node.prefix_len,
            overhead=self.pass_overhead,
        )
        for batch in batches:
            self._score_rows_resilient(batch, node.prefix_len, prefix, rows, windows, results, token_values, bar)
        for child in node.children:
            self._score_node(child, prefix, rows, windows, results, token_values, bar)

    def _score_rows_resilient(self, batch, prefix_len, prefix, rows, windows, results, token_values, bar) -> None:
        """Score ``batch`` in chunks of the current row cap, halving the cap on out-of-memory."""
        start = 0
        while start < len(batch):
            chunk = batch[start : start + self._row_cap]
            try:
                self._score_rows(chunk, prefix_len, prefix, rows, windows, results, token_values)
            except (torch.OutOfMemoryError, RuntimeError) as error:
                if not _is_out_of_memory(error) or len(chunk) == 1:
                    raise
                self._row_cap = max(1, len(chunk) // 2)
                log.warning(
                    "Out of memory on a batch of %d rows; retrying with batches of %d.", len(chunk), self._row_cap
                )
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                continue
            bar.update(sum(len(rows[index].requests) for index in chunk))
            start += len(chunk)

    def _score_rows(
        self, batch: list[int], prefix_len: int, prefix: KeyValues | None, rows, windows, results, token_values
    ) -> None:
        """One forward pass over ``batch`` (row indices) on top of the shared ``prefix``."""
        suffixes = [rows[index].input_ids[prefix_len:] for index in batch]
        width = max(len(suffix) for suffix in suffixes)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)  # [batch, suffix], right-padded
        batch_index, position, row_offset = [], [], []
        for b, (index, suffix) in enumerate(zip(batch, suffixes)):
            input_ids[b, : len(suffix)] = torch.tensor(suffix, dtype=torch.long)
            n_scored = rows[index].n_scored
            row_offset.append(len(position))
            batch_index.extend([b] * n_scored)
            position.extend(range(len(suffix) - n_scored, len(suffix)))
        log_probs = self._scored_log_probs(
            input_ids.to(self.device),
            prefix,
            torch.tensor(batch_index, device=self.device),
            torch.tensor(position, device=self.device),
        )  # [n_scored, vocab]
        self.last_counts.real += sum(len(suffix) for suffix in suffixes)
        self.last_counts.padded += input_ids.numel()
        self.last_counts.scored += len(position)
        greedy = log_probs.argmax(dim=-1)  # [n_scored]
        flat_position, flat_target, owners = [], [], []
        for index, offset in zip(batch, row_offset):
            row = rows[index]
            for request_index in row.requests:
                targets = windows[request_index].targets
                first = offset + row.n_scored - len(targets)
                flat_position.extend(range(first, first + len(targets)))
                flat_target.extend(targets)
                owners.append((request_index, len(targets)))
        position_t = torch.tensor(flat_position, device=self.device)
        target_t = torch.tensor(flat_target, device=self.device)
        token_log_probs = log_probs[position_t, target_t].tolist()
        token_greedy = (greedy[position_t] == target_t).tolist()
        cursor = 0
        for request_index, n_tokens in owners:
            values = token_log_probs[cursor : cursor + n_tokens]
            flags = token_greedy[cursor : cursor + n_tokens]
            cursor += n_tokens
            results[request_index] = assemble_score(values, flags, token_values=token_values)


def _first_row(node: PrefixNode) -> int:
    """Any row under ``node`` (all share its prefix)."""
    return node.rows[0] if node.rows else _first_row(node.children[0])


def score_requests(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    requests: Sequence[Request],
    *,
    return_token_values: bool = False,
    desc: str = "scoring",
    **settings: Any,
) -> list[Score]:
    """Score ``requests`` on ``model``: one :class:`Score` per request, in input order
    (function form of :class:`Scorer`; ``settings`` are its keyword arguments: ``max_length``,
    ``batch_tokens``, ``max_batch_size``, ``min_shared_prefix``, ``pass_overhead``, ``progress``)."""
    return Scorer(model, tokenizer, **settings).score(requests, return_token_values=return_token_values, desc=desc)
