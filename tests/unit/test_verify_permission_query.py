"""Permission queries: Unkey v2's text and v1's object mean what a plain evaluation of the same tree means."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keytally.verify.permission_query import NOTHING, every, from_object, parse

NAMES = st.sampled_from(["a", "b.read", "c:write", "d-e", "api.*.verify_key"])
TREES = st.recursive(
    NAMES,
    lambda children: st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=4)),
    max_leaves=12,
)


def holds(tree, held: set[str]) -> bool:
    if isinstance(tree, str):
        return tree in held
    operator, parts = tree
    return (all if operator == "and" else any)(holds(part, held) for part in parts)


def as_text(tree, spelling: str) -> str:
    if isinstance(tree, str):
        return tree
    operator, parts = tree
    joined = f" {operator.upper() if spelling == 'upper' else operator} ".join(as_text(p, spelling) for p in parts)
    return f"({joined})"


def as_object(tree):
    return tree if isinstance(tree, str) else {tree[0]: [as_object(part) for part in tree[1]]}


@given(TREES, st.sets(NAMES), st.sampled_from(["upper", "lower"]))
def test_text_and_object_mean_the_tree(tree, held, spelling):
    assert parse(as_text(tree, spelling)).satisfied_by(held) == holds(tree, held)
    assert from_object(as_object(tree)).satisfied_by(held) == holds(tree, held)


@pytest.mark.parametrize(
    ("text", "held", "expected"),
    [
        ("a OR b AND c", {"a"}, True),  # AND binds tighter: a OR (b AND c)
        ("a OR b AND c", {"b"}, False),
        ("(a OR b) AND c", {"a"}, False),
        ("(a OR b) AND c", {"b", "c"}, True),
        ("  a  ", {"a"}, True),
    ],
)
def test_precedence_and_grouping(text, held, expected):
    assert parse(text).satisfied_by(held) is expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty query"),
        ("a AND", "ends where a permission"),
        ("(a OR b", "not closed"),
        ("a)", "unexpected ')'"),
        ("AND a", "'AND' where a permission"),
        ("a b", "unexpected 'b'"),
        ("a & b", "unexpected '&"),
        ("(" * 12 + "a" + ")" * 12, "nested deeper"),
    ],
)
def test_malformed_text_says_where(text, says):
    with pytest.raises(ValueError, match="permissions: ") as raised:
        parse(text)
    assert says in str(raised.value)


@pytest.mark.parametrize("query", [{}, {"and": []}, {"xor": ["a"]}, {"and": ["a"], "or": ["b"]}, 3, "a b", ["a"]])
def test_malformed_object(query):
    with pytest.raises(ValueError, match="permissions: "):
        from_object(query)


def test_a_list_asks_for_every_name_and_nothing_for_none():
    assert every(["a", "b"]).satisfied_by({"a", "b", "c"})
    assert not every(["a", "b"]).satisfied_by({"a"})
    assert NOTHING.satisfied_by(()) and every([]).satisfied_by(())
