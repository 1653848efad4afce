"""Token-level encoding of log-likelihood requests, exactly as lm-evaluation-harness does it.

The contract (lm-eval 0.4.13, ``TemplateLM.loglikelihood`` / ``_encode_pair`` and
``HFLM.tok_encode`` / ``_loglikelihood_tokens``):

1. **Empty context** (``context == ""``): the continuation is encoded without special tokens
   and the context becomes the single *prefix token* (BOS, else EOS); if the continuation
   already starts with that token, its first token becomes the context instead.
2. Otherwise the trailing whitespace of the context is moved to the front of the
   continuation; ``context + continuation`` is encoded whole and the context alone, both
   with the tokenizer's own special-token default (OPT prepends ``</s>``, Pythia adds
   nothing, Gemma ``<bos>``), except that a string which already starts with the prefix
   token's text is encoded without special tokens. The continuation's tokens are
   ``whole[len(context_enc):]``.
3. The model sees ``(context + continuation)[-(max_length + 1):][:-1]`` (left truncation to
   the model's window) and the last ``len(continuation)`` positions of that input are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PretrainedConfig, PreTrainedTokenizerBase

from helpers.core.requests import Request

DEFAULT_MAX_LENGTH = 2048  # the harness's fallback when neither config nor tokenizer says
TOKENIZER_INFINITY = 1000000000000000019884624838656  # transformers' "no limit" model_max_length
SEQLEN_CONFIG_ATTRS = ("n_positions", "max_position_embeddings", "n_ctx")  # harness order


class ScoringInputError(ValueError):
    """A request cannot be scored under the harness's contract (empty continuation, empty
    context after encoding, continuation longer than the model window, bad argument)."""


@dataclass(frozen=True)
class EncodedRequest:
    """Token ids of one request after the harness's split."""

    context_ids: tuple[int, ...]
    continuation_ids: tuple[int, ...]


@dataclass(frozen=True)
class ModelWindow:
    """What the model is run on for one request, after left truncation.

    ``input_ids`` is ``(context + continuation)[-(max_length + 1):][:-1]``; its last
    ``len(targets)`` positions predict ``targets`` (the continuation ids).
    """

    input_ids: tuple[int, ...]
    targets: tuple[int, ...]

    @property
    def scored_start(self) -> int:
        """Index of the first scored position in ``input_ids``."""
        return len(self.input_ids) - len(self.targets)


def resolve_max_length(config: PretrainedConfig | None, tokenizer: PreTrainedTokenizerBase | None) -> int:
    """The model window the harness would use: config ``n_positions`` /
    ``max_position_embeddings`` / ``n_ctx`` (text config first), else the tokenizer's
    ``model_max_length`` unless unset, else 2048."""
    text_config = getattr(config, "text_config", None) or config
    for attr in SEQLEN_CONFIG_ATTRS:
        value = getattr(text_config, attr, None)
        if value is not None:
            return int(value)
    model_max_length = getattr(tokenizer, "model_max_length", None)
    if model_max_length is not None and model_max_length != TOKENIZER_INFINITY:
        return int(model_max_length)
    return DEFAULT_MAX_LENGTH


def prefix_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token standing in for an empty context: BOS if the tokenizer has one, else EOS."""
    token_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if token_id is None:
        raise ScoringInputError(
            f"Tokenizer {type(tokenizer).__name__} has neither a BOS nor an EOS token, so an empty "
            "context cannot be scored; give every request a non-empty context."
        )
    return int(token_id)


class _Encoder:
    """Encodes strings like ``HFLM.tok_encode`` with memoisation (contexts repeat across choices)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer
        bos_or_eos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self.prefix_text = tokenizer.decode(bos_or_eos) if bos_or_eos is not None else None
        self.memo: dict[tuple[str, bool | None], tuple[int, ...]] = {}

    def _special_flag(self, text: str) -> bool | None:
        """None = the tokenizer's default; False when ``text`` already starts with the prefix token."""
        if self.prefix_text and text.startswith(self.prefix_text):
            return False
        return None

    def encode_many(self, texts: Sequence[str], add_special_tokens: bool | None = None) -> list[tuple[int, ...]]:
        """Encode ``texts`` (None = harness default per string), batching the unseen ones."""
        keys = [
            (text, add_special_tokens if add_special_tokens is not None else self._special_flag(text)) for text in texts
        ]
        missing = [key for key in dict.fromkeys(keys) if key not in self.memo]  # unique, in order
        for flag in (None, False, True):
            batch = [text for text, key_flag in missing if key_flag is flag]
            if not batch:
                continue
            kwargs = {} if flag is None else {"add_special_tokens": flag}
            for text, ids in zip(batch, self.tokenizer(batch, **kwargs)["input_ids"], strict=True):
                self.memo[(text, flag)] = tuple(map(int, ids))
        return [self.memo[key] for key in keys]


def encode_requests(tokenizer: PreTrainedTokenizerBase, requests: Sequence[Request]) -> list[EncodedRequest]:
    """Split every request into context and continuation token ids (the harness's contract)."""
    encoder = _Encoder(tokenizer)
    pairs: list[tuple[str, str]] = []
    for index, request in enumerate(requests):
        if not isinstance(request, Request):
            raise ScoringInputError(
                f"requests[{index}] is a {type(request).__name__}, not a helpers.core.requests.Request; "
                "build requests with Request(context, continuation)."
            )
        if request.continuation == "":
            raise ScoringInputError(f"requests[{index}] has an empty continuation ({request!r}); nothing to score.")
        context, continuation = request.context, request.continuation
        n_spaces = len(context) - len(context.rstrip())
        if context and n_spaces:
            context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
        pairs.append((context, continuation))

    non_empty = [i for i, (context, _) in enumerate(pairs) if requests[i].context != ""]
    wholes = encoder.encode_many([pairs[i][0] + pairs[i][1] for i in non_empty])
    contexts = encoder.encode_many([pairs[i][0] for i in non_empty])
    encoded: dict[int, EncodedRequest] = {}
    for i, whole_ids, context_ids in zip(non_empty, wholes, contexts, strict=True):
        encoded[i] = EncodedRequest(context_ids, whole_ids[len(context_ids) :])

    empty = [i for i in range(len(requests)) if requests[i].context == ""]
    if empty:
        prefix_id = prefix_token_id(tokenizer)
        for i, continuation_ids in zip(
            empty, encoder.encode_many([pairs[i][1] for i in empty], add_special_tokens=False)
        ):
            if continuation_ids and continuation_ids[0] == prefix_id:
                encoded[i] = EncodedRequest(continuation_ids[:1], continuation_ids[1:])
            else:
                encoded[i] = EncodedRequest((prefix_id,), continuation_ids)

    result = [encoded[i] for i in range(len(requests))]
    for index, enc in enumerate(result):
        if not enc.context_ids:
            raise ScoringInputError(
                f"requests[{index}] ({requests[index]!r}) encodes to an empty context (a whitespace-only "
                "context with a tokenizer that adds no BOS); the harness refuses it too. Use context='' "
                "to condition on the prefix token, or put text in the context."
            )
        if not enc.continuation_ids:
            raise ScoringInputError(
                f"requests[{index}] ({requests[index]!r}) encodes to no continuation tokens; nothing to score."
            )
    return result


def model_window(encoded: EncodedRequest, max_length: int) -> ModelWindow:
    """Left-truncate ``context + continuation`` to the model window, as the harness does."""
    if len(encoded.continuation_ids) > max_length:
        raise ScoringInputError(
            f"A continuation of {len(encoded.continuation_ids)} tokens exceeds the model window of "
            f"{max_length} tokens; shorten the continuation or pass a larger max_length."
        )
    tokens = (encoded.context_ids + encoded.continuation_ids)[-(max_length + 1) :]
    return ModelWindow(input_ids=tokens[:-1], targets=encoded.continuation_ids)
