"""helpers.render.markdown: pipe tables for generated pages."""

import pytest

from helpers.render.markdown import markdown_table, table_directive


def test_markdown_table_escapes_pipes_and_checks_widths():
    assert markdown_table(["a", "b"], [["x|y", 1]]) == "| a | b |\n|---|---|\n| x\\|y | 1 |"
    with pytest.raises(ValueError, match="has 1 cells but the header has 2"):
        markdown_table(["a", "b"], [["only one"]])


def test_table_directive_has_caption_and_label():
    assert table_directive("Cap", "lab", "| a |") == ":::{table} Cap\n:name: lab\n\n| a |\n:::\n"
