"""The enums that type closed vocabularies in code equal their lists in schema/vocabularies.json."""

from __future__ import annotations

import pytest

from statemedia.vocab import SPLITS, TYPED_VOCABULARIES, Table, load_json, vocabulary


@pytest.mark.parametrize("name", sorted(TYPED_VOCABULARIES))
def test_enum_equals_its_vocabulary_in_order(name: str) -> None:
    enum = TYPED_VOCABULARIES[name]
    assert [member.value for member in enum] == list(vocabulary(name))


def test_every_vocabulary_is_typed_or_read_as_data() -> None:
    # Sources and platforms are open data read from the JSON (manifest checks, cards); every other
    # vocabulary is one that code branches on and so must have an enum.
    read_as_data = {"sources", "platforms", "source_time_zones"}
    names = set(load_json("vocabularies.json")) - {"$comment", "version"}
    assert names - read_as_data == set(TYPED_VOCABULARIES)


def test_splits_are_the_first_three_tables() -> None:
    assert [*SPLITS] == [Table.TRAIN, Table.VALIDATION, Table.TEST]
    assert list(Table)[: len(SPLITS)] == list(SPLITS)
