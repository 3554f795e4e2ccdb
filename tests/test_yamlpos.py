from __future__ import annotations

import pytest
import yaml

from aimc.yamlpos import DuplicateKeyError, line_of, load_all


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
