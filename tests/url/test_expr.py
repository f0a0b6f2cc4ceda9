"""`edge.url.expr`: parsing through the Lark grammar and evaluation with standard precedence."""

from __future__ import annotations

import pytest

from edge.url import UrlError
from edge.url.expr import evaluate, parse_expr


@pytest.mark.parametrize("text,env,expected", [
    ("iw_div_2", {"iw": 800}, 400.0),
    ("iw_add_10_mul_2", {"iw": 100}, 120.0),  # mul binds tighter than add
    ("2_pow_3_mul_2", {}, 16.0),  # pow binds tighter than mul
    ("10_sub_4_sub_3", {}, 3.0),  # left associative
    ("100_div_4_div_5", {}, 5.0),
    ("7_mod_4", {}, 3.0),
    ("$foo_mul_200_div_fc", {"$foo": 10, "fc": 4}, 500.0),
    ("$foo_mul_2", {"foo": 3}, 6.0),  # user variables also found without the `$`
    ("w_gt_1000_and_h_lt_500", {"w": 1200, "h": 400}, True),
    ("w_gt_1000_and_h_lt_500", {"w": 1200, "h": 600}, False),
    ("w_lt_10_or_h_gte_5_and_ar_eq_1", {"w": 100, "h": 5, "ar": 1.0}, True),  # and before or
    ("ar_gt_16:9", {"ar": 2.0}, True),
    ("ctx:!productType!_eq_!shoes!", {"ctx:!productType!": "shoes"}, True),
    ("!sale!_in_tags", {"tags": ("sale", "new")}, True),
    ("!sale!_nin_tags", {"tags": ("new",)}, True),
    ("iw_ne_ih", {"iw": 3, "ih": 4}, True),
    ("1_div_0", {}, float("inf")),
])
def test_evaluate(text, env, expected):
    assert evaluate(parse_expr(text), env) == expected


def test_tokens_are_typed():
    e = parse_expr("ih_mul_0.5_add_$x")
    assert e.tokens == ("ih", "mul", 0.5, "add", "$x") and e.text == "ih_mul_0.5_add_$x"
    assert parse_expr("16:9").tokens == (16 / 9,)
    assert parse_expr("!a_b!_eq_!c!").tokens == ("!a_b!", "eq", "!c!")


@pytest.mark.parametrize("bad", ["", "iw_div", "div_2", "iw__2", "iw_foo_2", "width_gt_2", "1:0", "!open", "iw_div_2_"])
def test_syntax_errors(bad):
    with pytest.raises(UrlError):
        parse_expr(bad)


def test_missing_operand_is_key_error():
    with pytest.raises(KeyError):
        evaluate(parse_expr("iw_div_2"), {})


@pytest.mark.parametrize("text", [
    "iw_div_2", "$foo_mul_200_div_fc", "w_gt_1000_and_h_lt_500", "ar_gte_16:9", "iw_mul_0.5_add_2_pow_3",
    "-3_sub_.5", "fc_gt_0_or_pc_ne_1", "idu_sub_5", "3", "$a", "tags", "iw_mod_7",
])
def test_fast_path_agrees_with_the_lark_grammar(text):
    from lark import Token

    from edge.url.expr import _fast_tokens, _leaves
    from edge.url.grammar import value_parser

    fast = _fast_tokens(text)
    assert fast is not None
    leaves: list[Token] = []
    _leaves(value_parser().parse(text, start="expr"), leaves)
    assert len(leaves) == len(fast)
    for tok, f in zip(leaves, fast):
        if tok.type in ("NUMBER",):
            assert f == float(tok)
        elif tok.type == "RATIO":
            a, b = tok.split(":")
            assert f == float(a) / float(b)
        else:
            assert f == str(tok).strip("_")


def test_grammar_ships_as_package_data():
    from edge.url.grammar import grammar_text, value_parser

    text = grammar_text()
    assert "?expr" in text and "PROD_OP" in text
    tree = value_parser().parse("w_gt_1000_and_ctx:!kind!_eq_!a_b!", start="expr")
    assert tree.data == "and_expr" and tree.children[1].type == "AND"
    assert [c.children[1] for c in (tree.children[0], tree.children[2])] == ["_gt_", "_eq_"]


def test_domain_errors_are_value_errors():
    with pytest.raises(ValueError):
        evaluate(parse_expr("-8_pow_0.5"), {})
    with pytest.raises(ValueError):
        evaluate(parse_expr("!a!_lt_3"), {})
    assert evaluate(parse_expr("10_pow_1000"), {}) == float("inf")
