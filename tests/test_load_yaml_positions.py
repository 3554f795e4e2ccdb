from __future__ import annotations

import pytest
import yaml

from aimc.load.yaml_positions import MAX_DEPTH, DuplicateKeyError, line_of, load_all, non_string_key


def test_lines_of_keys_and_items():
    (start, data), = list(load_all("a: 1\nb:\n  - x: 2\n    y: [1, 2]\n  - z\n"))
    assert start == 1
    assert line_of(data, ["b", 0, "y"]) == 4
    assert line_of(data, ["b", 1]) == 5
    assert line_of(data, ["b", 0, "missing"]) == 3


def test_duplicate_key_is_an_error():
    with pytest.raises(DuplicateKeyError, match="duplicate key 'a' \\(first at line 1\\)"):
        list(load_all("a: 1\nb: 2\na: 3\n"))


def test_merge_keys_are_not_duplicates():
    (_, data), = list(load_all("x: &a {k: 1}\nz:\n  <<: *a\n  k: 2\n"))
    assert data["z"] == {"k": 2}


def test_alias_bomb_is_refused_quickly():
    bomb = 'a: &a ["l","l","l","l","l","l","l","l","l"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    with pytest.raises(yaml.YAMLError, match="aliases expand"):
        list(load_all(bomb))


def test_timestamps_stay_strings():
    (_, data), = list(load_all("when: 2024-01-01\n"))
    assert data["when"] == "2024-01-01"


def test_deep_nesting_is_refused_with_the_line_where_it_gets_too_deep():
    text = "a:\n" + "".join(" " * level + "- \n" for level in range(1, MAX_DEPTH + 10))
    with pytest.raises(yaml.MarkedYAMLError, match=f"nested more than {MAX_DEPTH} levels") as raised:
        list(load_all(text))
    assert raised.value.problem_mark.line + 1 == MAX_DEPTH + 1


def test_nesting_at_the_limit_loads():
    (_, data), = list(load_all("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)))
    assert isinstance(data, list)


@pytest.mark.parametrize("text", ["a: .nan\n", "a: -.inf\n", "a: 1.0e+400\n"])
def test_numbers_json_cannot_carry_are_refused(text):
    with pytest.raises(yaml.MarkedYAMLError, match="not a finite number"):
        list(load_all(text))


@pytest.mark.parametrize("tag", ["binary", "set", "omap", "pairs"])
def test_tags_without_a_json_form_are_refused(tag):
    value = {"binary": "aGVsbG8=", "set": "{a}", "omap": "[{a: 1}]", "pairs": "[{a: 1}]"}[tag]
    with pytest.raises(yaml.MarkedYAMLError, match=f"!!{tag} tag is not supported"):
        list(load_all(f"a: !!{tag} {value}\n"))


def test_non_string_keys_are_found_with_their_line_and_path():
    (_, data), = list(load_all("a:\n  b: [{c: 1}, {80: x}]\n"))
    assert non_string_key(data) == (2, ("a", "b", 1), 80)
    (_, data), = list(load_all("x:\n  'off': 1\n  on: 2\n"))
    assert non_string_key(data) == (3, ("x",), True)
    (_, data), = list(load_all("a: {b: c}\n"))
    assert non_string_key(data) is None



def test_merge_and_value_keys_are_flattened_as_pyyaml_does():
    # Only `<<` and `=` keys make the constructor flatten a mapping; every other mapping skips that pass.
    (_, data), = list(load_all("base: &b {a: 1, c: 3}\nm:\n  <<: *b\n  a: 2\nv:\n  =: x\n  k: 1\n"))
    assert data["m"] == {"a": 2, "c": 3}
    assert data["v"] == {"=": "x", "k": 1}
    assert non_string_key(data) is None


def test_a_non_string_key_deep_in_a_sequence_is_found():
    (_, data), = list(load_all("a:\n  - b:\n      - {x: 1}\n      - {2: y}\n"))
    assert non_string_key(data) == (4, ("a", 0, "b", 1), 2)


def test_the_loader_says_when_every_key_is_a_string_so_the_key_walk_can_be_skipped():
    from aimc.load.yaml_positions import load_all_keyed

    cases = {'a: 1\n"80": [x, {b: c}]\n': True, "a: {80: x}\n": False, "a: [{on: 1}]\n": False,
             "a: &x {b: 1}\nc: *x\n": False,  # aliases: not looked at, the data is walked
             "2001-12-14: v\n": False, "a:\n  <<: {b: 1}\n": False, "- 1\n- two\n": True}
    for text, expected in cases.items():
        [(_, data, text_keys)] = list(load_all_keyed(text))
        assert text_keys is expected, text
        if text_keys:
            assert non_string_key(data) is None, text
    assert [keys for *_, keys in load_all_keyed("a: 1\n---\n1: a\n")] == [True, False]
