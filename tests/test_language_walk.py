"""`identify_texts`, the batched automaton walk, gives exactly `identify`'s result (py3langid's own
classify, text by text): same language, same rounded probability, for every text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statemedia import language
from statemedia.config import load_config
from statemedia.inputs import load_inputs
from statemedia.language import detector_text, identify, identify_texts
from statemedia.parse import registry
from statemedia.stages import parse_and_clean

REPO = Path(__file__).resolve().parents[1]
CONFIG = load_config(REPO / "statemedia.toml").language
WORDS = [
    "Москва",
    "МИД",
    "заявил",
    "переговоры",
    "the",
    "Ministry",
    "talks",
    "Лавров",
    "el",
    "ministro",
    "le",
    "président",
    "der",
    "Außenminister",
    "وزير",
    "外交部",
    "🇷🇺",
    "#МИД_России",
    "2024",
    "—",
]


def test_every_seed_post_gets_the_same_language_and_confidence():
    posts = parse_and_clean(load_inputs(REPO / "seeds", REPO, set(registry()))).posts
    texts = [detector_text(p.title, p.text) for p in posts]
    found = identify_texts(texts, CONFIG)
    assert found == [identify(text, CONFIG) for text in texts]
    assert {f.language for f in found} - {"und"}  # something was identified


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(WORDS), max_size=60), st.booleans(), st.integers(1, 40)),
        min_size=1,
        max_size=150,
    )
)
def test_random_texts_get_identify_s_result(specs):
    """Short and long texts, upper case (py3langid lowers it), repeats: many walk together and
    the longest finish one by one, as in a real file."""
    texts = []
    for words, upper, repeat in specs:
        text = " ".join(words) * repeat
        texts.append(text.upper() if upper else text)
    assert identify_texts(texts, CONFIG) == [identify(text, CONFIG) for text in texts]


def test_batches_and_the_long_tail_do_not_change_a_result(monkeypatch):
    texts = [" ".join(WORDS[k % 7 : k % 7 + 5]) * (1 + k % 13) for k in range(300)]
    texts.append("Переговоры в Москве продолжились. " * 400)  # walks alone at the end
    expected = [identify(text, CONFIG) for text in texts]
    for batch, walking in ((4096, 64), (50, 64), (7, 1), (300, 1000)):
        monkeypatch.setattr(language, "_WALK_BATCH", batch)
        monkeypatch.setattr(language, "_MIN_WALKING", walking)
        assert identify_texts(texts, CONFIG) == expected


@pytest.mark.parametrize("text", ["", "12345 67890", "🇷🇺🇨🇳 Talks", "a" * 9])
def test_too_few_letters_is_undetermined(text):
    assert identify_texts([text], CONFIG) == [identify(text, CONFIG)]
    assert identify_texts([text], CONFIG)[0].language == "und"


def test_the_walk_gives_py3langid_s_unrounded_probabilities():
    """Below the 4-decimal rounding: feature order and counts as py3langid's Counter has them,
    so even the float32 scores are py3langid's."""
    identifier = language._identifier(CONFIG.candidates)
    texts = [" ".join(WORDS[k % 11 :] + WORDS[: k % 5]) * (1 + k % 9) for k in range(200)]
    encoded = [identifier._encode(text) for text in texts]
    walked = language._walk(encoded, language._automaton(CONFIG.candidates))
    for text, data, (features, counts) in zip(texts, encoded, walked, strict=True):
        assert language._classified(identifier, features, counts, len(data)) == (
            identifier.classify(text)
        )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(0, 20))
def test_the_letter_minimum_counts_as_findall_does(text, needed):
    """`_has_letters` stops early; it must decide as counting every `_LETTER` match would."""
    assert language._has_letters(text, needed) == (len(language._LETTER.findall(text)) >= needed)
