"""Planning the work: which token prefixes are computed once, and how rows are batched.

A *row* is one distinct model input (requests whose ``context + continuation[:-1]`` tokens
are identical share a row: the letters " A".." D" of one multiple-choice question, " yes"
/ " no"). Rows sorted lexicographically by token ids put rows sharing a prefix next to each
other, and the longest common prefix (LCP) of a run of sorted rows is the minimum of the
LCPs of its neighbours. :func:`plan_prefix_tree` turns that into a tree:

- the root (prefix 0) holds rows that share nothing worth reusing;
- a child holds a run of rows sharing at least ``min_shared`` more tokens than its parent
  (the instruction header of every item; below it the few-shot prefix of one subject; below
  that the question shared by several multi-token choices). Its prefix is run once at
  batch size 1 and its keys/values are reused by every batch of rows below it.

A forward pass costs about ``overhead`` positions on top of its positions (reading the
weights; kernel launches on a GPU), so a group is worth its own prefix pass (and its own
batches) only when sharing saves at least ``2 * overhead`` positions; a group that is not
is searched for tighter groups inside it.

A prefix never reaches a scored position, so every scored hidden state is computed in the
batched pass. :func:`pack_batches` then cuts a node's rows, sorted longest first, into the
batches of least total cost ``sum(rows * longest suffix + overhead)`` (an exact dynamic
programme): padding costs as much as real positions, and so does one pass too many. Each
batch's padded size ``rows * (prefix + longest suffix)`` -- the key/value positions held --
stays within ``batch_tokens``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

MAX_TREE_DEPTH = 6  # root, BOS, instruction header, few-shot prefix, question: tasks here need 5


@dataclass
class PrefixNode:
    """Rows sharing their first ``prefix_len`` tokens (computed once), and deeper groups."""

    prefix_len: int
    rows: list[int] = field(default_factory=list)  # scored with this node's prefix cache
    children: list[PrefixNode] = field(default_factory=list)


def common_prefix_length(first: Sequence[int], second: Sequence[int]) -> int:
    """Number of leading tokens two sequences share."""
    length = 0
    for a, b in zip(first, second):
        if a != b:
            break
        length += 1
    return length


def plan_prefix_tree(
    sequences: Sequence[tuple[int, ...]], scored_starts: Sequence[int], *, min_shared: int, overhead: int = 0
) -> PrefixNode:
    """The prefix tree of ``sequences`` (row inputs); ``scored_starts[r]`` caps row r's prefix.

    A group gets its own prefix when its rows share at least ``min_shared`` more tokens than
    its parent's prefix and sharing saves at least ``2 * overhead`` positions. A
    ``min_shared`` larger than every sequence disables prefix reuse.
    """
    order = sorted(range(len(sequences)), key=lambda row: sequences[row])
    neighbour_lcp = [common_prefix_length(sequences[a], sequences[b]) for a, b in zip(order, order[1:])]
    root = PrefixNode(prefix_len=0)
    _fill(root, order, neighbour_lcp, scored_starts, min_shared, overhead, depth=0)
    return root


def _runs(order: list[int], neighbour_lcp: list[int], threshold: int) -> Iterator[tuple[list[int], list[int]]]:
    """Maximal runs of ``order`` whose neighbours share ``>= threshold`` tokens, with their LCPs."""
    start = 0
    while start < len(order):
        end = start  # the run is order[start : end + 1]
        while end < len(neighbour_lcp) and neighbour_lcp[end] >= threshold:
            end += 1
        yield order[start : end + 1], neighbour_lcp[start:end]
        start = end + 1


def _fill(
    node: PrefixNode,
    order: list[int],
    neighbour_lcp: list[int],
    scored_starts: Sequence[int],
    min_shared: int,
    overhead: int,
    depth: int,
) -> None:
    """Place ``order`` (sorted rows; ``neighbour_lcp[i]`` between order[i] and order[i+1])
    under ``node``: runs sharing ``min_shared`` more tokens than ``node`` become children when
    worth a pass; a run that is not is split at its weakest links (a stack, not recursion)."""
    pending = [(order, neighbour_lcp, node.prefix_len + min_shared)]
    while pending:
        part, part_lcp, threshold = pending.pop()
        for run, run_lcp in _runs(part, part_lcp, threshold):
            if len(run) == 1:
                node.rows.extend(run)
                continue
            weakest = min(run_lcp)
            shared = min(weakest, min(scored_starts[row] for row in run))
            saved = (len(run) - 1) * (shared - node.prefix_len)  # positions not recomputed
            if shared >= node.prefix_len + min_shared and saved >= 2 * overhead and depth + 1 < MAX_TREE_DEPTH:
                child = PrefixNode(prefix_len=shared)
                _fill(child, run, run_lcp, scored_starts, min_shared, overhead, depth + 1)
                node.children.append(child)
            elif max(run_lcp) > weakest:  # look for tighter groups inside
                pending.append((run, run_lcp, weakest + 1))
            else:
                node.rows.extend(run)


def pack_batches(
    rows: Sequence[int],
    lengths: Sequence[int] | dict[int, int],
    *,
    batch_tokens: int,
    max_batch_size: int,
    overhead: int,
    prefix_len: int = 0,
) -> list[list[int]]:
    """Cut ``rows`` (sorted longest first) into the batches of least total cost.

    A batch of rows ``[j, i)`` in that order costs ``(i - j) * (lengths[j] - prefix_len) +
    overhead`` positions; it holds at most ``max_batch_size`` rows and ``(i - j) *
    lengths[j] <= batch_tokens`` unless it is a single row. ``lengths`` are the rows' full
    input lengths, shared prefix included.
    """
    ordered = sorted(rows, key=lambda row: -lengths[row])
    n = len(ordered)
    best = [0.0] + [float("inf")] * n  # best[i]: least cost of the first i rows
    cut = [0] * (n + 1)  # cut[i]: where the last batch of that plan starts
    for end in range(1, n + 1):
        for start in range(end - 1, max(-1, end - 1 - max_batch_size), -1):
            size, longest = end - start, lengths[ordered[start]]
            if size > 1 and size * longest > batch_tokens:
                break  # earlier starts are longer still
            cost = best[start] + size * (longest - prefix_len) + overhead
            if cost < best[end]:
                best[end], cut[end] = cost, start
    batches: list[list[int]] = []
    end = n
    while end > 0:
        batches.append(ordered[cut[end] : end])
        end = cut[end]
    return batches[::-1]
