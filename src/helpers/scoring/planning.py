"""Planning the work: which token prefixes are computed once, and how rows are batched.

A *row* is one distinct model input (requests whose ``context + continuation[:-1]`` tokens
are identical share a row: the letters " A".." D" of one multiple-choice question, " yes"
/ " no"). Rows sorted lexicographically by token ids put rows sharing a prefix next to each
other, and the longest common prefix (LCP) of a run of sorted rows is the minimum of the
LCPs of its neighbours. :func:`plan_prefix_tree` turns that into a tree:

- the root (prefix 0) holds rows that share nothing worth reusing;
- a child holds a run of rows sharing at least ``min_shared`` more tokens than its parent
  (the few-shot prefix of one subject; below it, the question shared by several
  multi-token choices). Its prefix is run once at batch size 1 and its keys/values are
  reused by every batch of rows below it.

A prefix never reaches a scored position, so every scored hidden state is computed in the
batched pass. :func:`pack_batches` then cuts a node's rows (longest first, so padding is
small) into batches whose padded size ``rows * (prefix + longest suffix)`` -- the number of
key/value positions held -- stays within ``batch_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

MAX_TREE_DEPTH = 3  # root + few-shot prefix + shared question is all the tasks here need


@dataclass
class PrefixNode:
    """Rows sharing their first ``prefix_len`` tokens (computed once), and deeper groups."""

    prefix_len: int
    rows: list[int] = field(default_factory=list)  # scored with this node's prefix cache
    children: list["PrefixNode"] = field(default_factory=list)


def common_prefix_length(first: Sequence[int], second: Sequence[int]) -> int:
    """Number of leading tokens two sequences share."""
    length = 0
    for a, b in zip(first, second):
        if a != b:
            break
        length += 1
    return length


def plan_prefix_tree(
    sequences: Sequence[tuple[int, ...]], scored_starts: Sequence[int], *, min_shared: int
) -> PrefixNode:
    """The prefix tree of ``sequences`` (row inputs); ``scored_starts[r]`` caps row r's prefix.

    ``min_shared`` is the least number of extra shared tokens that makes a group worth a
    separate prefix pass; a value larger than every sequence disables prefix reuse.
    """
    order = sorted(range(len(sequences)), key=lambda row: sequences[row])
    neighbour_lcp = [common_prefix_length(sequences[a], sequences[b]) for a, b in zip(order, order[1:])]
    root = PrefixNode(prefix_len=0)
    _fill(root, order, neighbour_lcp, scored_starts, min_shared, depth=0)
    return root


def _fill(
    node: PrefixNode,
    order: list[int],
    neighbour_lcp: list[int],
    scored_starts: Sequence[int],
    min_shared: int,
    depth: int,
) -> None:
    """Split ``order`` (sorted rows; ``neighbour_lcp[i]`` between order[i] and order[i+1])."""
    threshold = node.prefix_len + min_shared
    start = 0
    while start < len(order):
        end = start  # the run is order[start : end + 1]
        while end < len(neighbour_lcp) and neighbour_lcp[end] >= threshold:
            end += 1
        run = order[start : end + 1]
        shared = min(neighbour_lcp[start:end], default=0)
        shared = min(shared, min(scored_starts[row] for row in run))
        if len(run) >= 2 and shared >= threshold and depth + 1 < MAX_TREE_DEPTH:
            child = PrefixNode(prefix_len=shared)
            _fill(child, run, neighbour_lcp[start:end], scored_starts, min_shared, depth + 1)
            node.children.append(child)
        else:
            node.rows.extend(run)
        start = end + 1


def pack_batches(
    rows: Sequence[int],
    lengths: Sequence[int],
    *,
    batch_tokens: int,
    max_batch_size: int,
) -> Iterator[list[int]]:
    """Cut ``rows`` into batches, longest first; each holds at most ``max_batch_size`` rows
    and ``rows * longest length <= batch_tokens`` (one row always fits). ``lengths`` are the
    rows' full input lengths, shared prefix included: the padded key/value positions held."""
    ordered = sorted(rows, key=lambda row: -lengths[row])
    batch: list[int] = []
    for row in ordered:
        longest = lengths[batch[0]] if batch else lengths[row]
        if batch and (len(batch) >= max_batch_size or (len(batch) + 1) * longest > batch_tokens):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch
