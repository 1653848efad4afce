"""The stand-ins' tokenizers follow the upstream rules: golden ids from independent reference encoders."""

from __future__ import annotations

import json
import sys

import pytest

from helpers.core.models.offline.catalog import GOLDEN_IDS_FILE, OFFLINE_MODELS, UPSTREAM_RULES, TokenizerMismatch
from helpers.core.models.offline.convert import check_golden_ids
from helpers.infra.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import reference_tokenizers as reference  # noqa: E402


def test_the_reference_pre_tokenizers_split_by_the_upstream_rules_by_hand():
    smollm = reference.ByteLevelReference([], [], rule="smollm")
    # every digit isolated first, then GPT-2's regex on each stretch: the two spaces stay one piece
    assert smollm.pre_tokens("x =  12") == ["x", " =", "  ", "1", "2"]
    assert smollm.pre_tokens("a\n\n\nb") == ["a", "\n\n", "\n", "b"]  # \s+(?!\S) leaves the last newline to \s+
    qwen = reference.ByteLevelReference([], [], rule="qwen2")
    assert qwen.pre_tokens("Cafe\u0301") == ["Café"]  # NFC composes e + combining acute
    assert qwen.pre_tokens("x =  12") == ["x", " =", " ", " ", "1", "2"]


def test_rank_bpe_merges_the_lowest_ranked_pair_first():
    ranks = {("a", "b"): 0, ("b", "c"): 1, ("ab", "c"): 2}
    assert reference.rank_bpe("abc", ranks) == ["abc"]
    assert reference.rank_bpe("bca", ranks) == ["bc", "a"]


def test_a_mismatch_names_the_model_the_string_and_both_id_lists():
    class Fake:
        def __call__(self, text):
            return {"input_ids": [1, 2, 3]}

    with pytest.raises(TokenizerMismatch) as error:
        check_golden_ids("smollm2-135m", Fake(), {"x =  12": [104, 446, 256, 33, 34]})
    message = str(error.value)
    assert "smollm2-135m" in message and "'x =  12'" in message
    assert "[1, 2, 3]" in message and "[104, 446, 256, 33, 34]" in message


def test_golden_ids_exist_for_every_model_and_probe():
    record = json.loads(GOLDEN_IDS_FILE.read_text())
    assert set(record["models"]) == set(OFFLINE_MODELS)
    assert all(set(ids) == set(record["probes"]) for ids in record["models"].values())
    assert set(record["probes"]) == set(reference.PROBES)


@pytest.mark.slow
def test_the_converted_smollm2_tokenizer_matches_the_golden_ids_and_the_old_rebuild_does_not():
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from conftest import offline_model_dir_or_skip

    folder = offline_model_dir_or_skip("smollm2-135m", required_in_ci=True)
    golden = json.loads(GOLDEN_IDS_FILE.read_text())["models"]["smollm2-135m"]
    converted = AutoTokenizer.from_pretrained(folder)
    check_golden_ids("smollm2-135m", converted, golden)  # raises on any difference
    rebuilt = json.loads((folder / "tokenizer.json").read_text())
    assert rebuilt["pre_tokenizer"] == UPSTREAM_RULES["smollm"]["pre_tokenizer"]
    rebuilt["pre_tokenizer"] = {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": True,
        "use_regex": True,
    }  # what transformers 5.23's GGUF rebuild gives
    old = Tokenizer.from_str(json.dumps(rebuilt))
    assert old.encode("x =  12").ids != golden["x =  12"]  # the defect the golden check catches
