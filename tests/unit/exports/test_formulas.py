import pytest

from services.exports.domain.formulas import is_formula_like, neutralise


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        "+33 6 12 34 56 78",
        "-2+3",
        "@SUM(A1:A2)",
        "\tcmd",
        "\rcmd",
        "\ncmd",
        '   =HYPERLINK("http://x.example")',
        " \t@x",
        "\t",
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    ["", "Zoé", "marie@exemple.ca", "514-555-0101", "a=b", "1+1", "   ", "  x=1", "'=1", "Ça"],
)
def test_other_text_is_left_alone(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise(text) == text
