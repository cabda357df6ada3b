"""RFC 8785 canonical JSON against the RFC's own examples."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_api.jcs import canonicalize, es6_number


def test_rfc8785_sample_object() -> None:
    # RFC 8785 section 3.2.2, input parsed as JSON (so the numbers are doubles, as in JS)
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_rfc8785_property_sorting_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33
    source = {
        "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonicalize(source)).keys())
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("bits", "text"),
    [  # RFC 8785 appendix B
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_rfc8785_number_serialisation(bits: str, text: str) -> None:
    assert es6_number(struct.unpack(">d", bytes.fromhex(bits))[0]) == text


def test_nan_and_infinity_are_refused() -> None:
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            canonicalize({"x": value})


def test_integers_beyond_double_precision_are_refused() -> None:
    # Number.MAX_SAFE_INTEGER is the last integer every double reader keeps exact (and rfc8785's bound)
    assert canonicalize([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"
    for beyond in (2**53, -(2**53), 2**53 + 1):
        with pytest.raises(ValueError):
            canonicalize(beyond)


def test_strings_minimal_escaping_utf8_and_nesting() -> None:
    value = {"b": [{"z": 1, "a": "张*明"}], "a": "tab\there\u001fand\u007f"}
    assert canonicalize(value) == '{"a":"tab\\there\\u001fand\u007f","b":[{"a":"张*明","z":1}]}'.encode()


def test_non_string_keys_and_lone_surrogates_are_refused() -> None:
    with pytest.raises(TypeError):
        canonicalize({1: "x"})
    with pytest.raises(ValueError):
        canonicalize("\ud800")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200)
@given(_json_values)
def test_canonical_form_parses_back_and_is_a_fixed_point(value: object) -> None:
    text = canonicalize(value)
    # read numbers as a JavaScript parser would: beyond 2**53 every number is a double
    back = json.loads(text, parse_int=lambda s: int(s) if abs(int(s)) < 2**53 else float(s))
    assert back == value or (isinstance(value, float) and value == 0.0)  # -0.0 becomes 0
    assert canonicalize(back) == text
