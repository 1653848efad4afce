"""One colour per family and model on every page (helpers.render.palette), readable on white."""

from __future__ import annotations

import colorsys

import pytest

from helpers.render import palette


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast_on_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def _pale_yellow(colour: str) -> bool:
    hue, lightness, saturation = colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)))
    return 45 / 360 <= hue <= 70 / 360 and lightness > 0.5 and saturation > 0.3


def test_the_checks_catch_okabe_ito_yellow():
    assert _pale_yellow("#F0E442") and _contrast_on_white("#F0E442") < 1.5
    assert not _pale_yellow(palette.ORANGE) and _contrast_on_white(palette.ORANGE) > 2


def test_every_family_has_its_own_colour():
    colours = list(palette.FAMILY_COLOURS.values())
    assert len(set(colours)) == len(colours), palette.FAMILY_COLOURS


@pytest.mark.parametrize(
    "colour", sorted(set(palette.NAMED_COLOURS.values()) | set(palette.MODEL_PALETTE) | set(palette.EXTRA_COLOURS))
)
def test_no_named_colour_is_pale_on_white(colour):
    assert not _pale_yellow(colour) and colour not in palette.PALE
    assert _contrast_on_white(colour) >= 1.9, colour


def test_pythia_shades_by_hand():
    """Blue #0072B2 mixed 45% with white for the smallest, 50% with black for the largest model."""
    shades = palette.family_shades("pythia")
    assert list(shades) == ["70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"]
    assert shades["70m"] == "#73B1D5"  # (0 + .45 * 255, 114 + .45 * 141, 178 + .45 * 77), rounded
    assert shades["12b"] == "#003959"  # (0, 114 / 2, 178 / 2), rounded
    luminances = [_luminance(colour) for colour in shades.values()]
    assert luminances == sorted(luminances, reverse=True)  # darker with size


def test_a_model_never_wears_another_familys_colour():
    """The issue: pythia-160m drawn in OPT's orange. Every model's colour is a shade of its own family's."""
    family_of = {model: family for family, models in palette.FAMILY_MODELS.items() for model in models}
    for model, family in family_of.items():
        colour = palette.NAMED_COLOURS[model]
        others = {c for f, c in palette.FAMILY_COLOURS.items() if f != family}
        assert colour not in others, (model, colour)
    assert palette.NAMED_COLOURS["160m"] != palette.FAMILY_COLOURS["opt"]
    assert palette.family_shades("gemma3") == {"offline:gemma3-270m": palette.FAMILY_COLOURS["gemma3"]}


def test_a_family_the_report_does_not_name_takes_no_named_familys_colour():
    colours = palette.colours_for(["llama", "pythia", "mistral"])
    assert colours["pythia"] == palette.BLUE
    assert not {colours["llama"], colours["mistral"]} & set(palette.FAMILY_COLOURS.values())
    assert colours["llama"] != colours["mistral"]


def test_shade_refuses_an_amount_outside_minus_one_to_one():
    with pytest.raises(ValueError, match="shade amount must lie in"):
        palette.shade(palette.BLUE, 1.5)
    with pytest.raises(KeyError, match="no fixed model list for family 'llama'"):
        palette.family_shades("llama")


def test_every_chapter_gives_a_family_the_same_colour():
    """The scaling and task-contrast family scales, the Beyond chapter's groups and the first page's key figure."""
    from helpers.experiments.beyond.charts import GROUP_COLOURS, GROUPS
    from helpers.render.charts import model_colours

    families = ["qwen2.5-coder", "smollm2", "gemma3", "pythia", "pythia-deduped", "opt", "bloom"]
    by_family = model_colours(families, order=families)
    shown, colours = list(by_family), list(by_family.values())
    assert dict(zip(shown, colours)) == {family: palette.FAMILY_COLOURS[family] for family in families}
    assert len(set(colours)) == len(colours)  # no two families share a colour in a chart
    groups = dict(zip(GROUPS, GROUP_COLOURS))
    assert [groups["Pythia"], groups["OPT"], groups["RWKV"]] == [
        palette.FAMILY_COLOURS[f] for f in ("pythia", "opt", "rwkv")
    ]
    assert groups["other families"] not in palette.FAMILY_COLOURS.values()


def test_the_published_families_are_the_datas_own_list():
    from helpers.analysis.published import FAMILIES

    assert palette.PUBLISHED_FAMILIES == FAMILIES
    assert palette.default_domain(["smollm2", "opt"]) == ["smollm2", "opt", "pythia", "pythia-deduped", "bloom"]
