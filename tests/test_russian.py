"""Russian-language inputs through the real build, and the language identified per post.

The fixtures in fixtures/russian/ are written by hand in the real layouts, their text invented:
`result.json` as Telegram Desktop exports a channel (the Ministry's Russian channel, declared
`ru`; times in `date_unixtime`, `date` the exporting computer's UTC+3), `tass_dump_ru.txt` in the
layout of the TASS dump seed (seeds/000): a scraper header, then articles with TASS Russian
datelines (one with a correspondent), one RIA Novosti dateline, and one article whose headline
line the scraper lost. Every expectation below comes from reading those files.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import datasets
import pytest
from seed_helpers import finish_repo, seeds_entry

from statemedia import language
from statemedia.build import build_tables
from statemedia.clean import extract_hashtags, is_link_anchor, normalise_line
from statemedia.cli import main
from statemedia.config import LanguageConfig, load_config
from statemedia.engines import LocalEngine
from statemedia.errors import ConfigError
from statemedia.inputs import load_inputs
from statemedia.language import detector_text, identify, identify_posts, language_counts
from statemedia.parse import FileContext, formats, registry, split_lines
from statemedia.parse.dates import month_number
from statemedia.parse.event_dates import event_dates
from statemedia.parse.tass import match_dateline
from statemedia.records import UNDETERMINED
from statemedia.release.manifest import Manifest
from statemedia.stages import parse_and_clean, with_language
from statemedia.vocab import EventDateKind, Table

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "russian"
EXPORT = FIXTURES / "result.json"
DUMP = FIXTURES / "tass_dump_ru.txt"
POST_TABLES = (Table.TRAIN, Table.VALIDATION, Table.TEST)


def russian_repo(tmp_path: Path) -> Path:
    """A repository whose seeds are the two Russian fixtures, declared `ru`."""
    root = tmp_path / "repo"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    entries = []
    for path, source, platform, fmt, channel in (
        (EXPORT, "mfa_russia", "telegram", "telegram_export", "MID_Russia"),
        (DUMP, "tass", "web", "tass_dump", None),
    ):
        shutil.copy(path, seeds / path.name)
        entries.append(
            seeds_entry(seeds, path.name, source, platform, fmt, "ru", "Russian fixtures", channel)
        )
    return finish_repo(root, entries)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = russian_repo(tmp_path_factory.mktemp("russian"))
    return root, build_tables(root, load_config(root / "statemedia.toml"))


def rows_of(build) -> list[dict]:
    return [row for table in POST_TABLES for row in build.tables[table].to_pylist()]


def by_native(build) -> dict[str, dict]:
    return {row["native_id"]: row for row in rows_of(build) if row["native_id"]}


def by_place(build) -> dict[str, dict]:
    """The TASS/RIA articles by the place of their dateline."""
    return {
        row["date_evidence"].split(",")[0]: row for row in rows_of(build) if row["source"] == "tass"
    }


# --- the Telegram export ---------------------------------------------------------------------------


def test_russian_export_builds_with_dates_in_moscow(built):
    _, build = built
    posts = by_native(build)
    assert sorted(posts) == ["7001", "7003", "7004", "7005", "7006"]  # 7002 is a pin (service)
    expected = {
        "7001": (datetime(2025, 2, 4, 10, 30, tzinfo=UTC), date(2025, 2, 4)),
        # 21:40 UTC is 00:40 on 5 February in Moscow: the publisher's date is the 5th.
        "7003": (datetime(2025, 2, 4, 21, 40, tzinfo=UTC), date(2025, 2, 5)),
        "7006": (datetime(2025, 2, 6, 9, 0, tzinfo=UTC), date(2025, 2, 6)),
    }
    for native, (at, day) in expected.items():
        assert (posts[native]["published_at"], posts[native]["published_date"]) == (at, day)
        assert posts[native]["date_confidence"] == "stated"
        assert posts[native]["url"] == f"https://t.me/MID_Russia/{native}"


def test_cyrillic_hashtags_mentions_and_links_are_read_whole(built):
    _, build = built
    posts = by_native(build)
    assert posts["7001"]["hashtags"] == ["МИД_России", "Россия_Китай"]
    assert posts["7003"]["hashtags"] == ["брифинг"]
    assert posts["7003"]["mentions"] == ["MID_RF"]
    assert posts["7006"]["hashtags"] == ["БРИКС"]
    assert posts["7001"]["links"] == [
        "https://mid.ru/ru/press_service/briefings/",
        "https://mid.ru/ru/foreign_policy/news/2000001/",  # the anchor's href
    ]


def test_a_russian_link_anchor_is_removed_and_decomposed_letters_are_composed(built):
    _, build = built
    posts = by_native(build)
    assert "Читать полностью" not in posts["7001"]["text"]
    assert posts["7001"]["text"].endswith("Брифинги: https://mid.ru/ru/press_service/briefings/")
    # The raw text writes "й" as и + U+0306; the row has the composed letter.
    raw = EXPORT.read_text(encoding="utf-8")
    assert "Сергеи\\u0306" in raw or "Сергеи\u0306" in raw
    assert posts["7006"]["text"].startswith("Сергей Лавров провёл телефонный разговор")
    assert "\u0306" not in posts["7006"]["text"]


def test_a_russian_heading_date_is_an_event_date_not_the_publication_date(built):
    _, build = built
    briefing = by_native(build)["7003"]
    assert [(e["date"], e["kind"], e["evidence"]) for e in briefing["event_dates"]] == [
        (date(2025, 2, 4), "event", "(Москва, 4 февраля 2025 года)")
    ]
    assert briefing["published_date"] == date(2025, 2, 5)


# --- the TASS / RIA dump ---------------------------------------------------------------------------


# (dateline = date_evidence, published_date, day and month as the note quotes them)
DUMP_DATES = [
    ("МОСКВА, 4 февраля. /ТАСС/.", date(2025, 2, 4), "4 февраля"),
    ("ВАШИНГТОН, 3 февраля. /ТАСС/.", date(2025, 2, 3), "3 февраля"),
    ("МОСКВА, 4 фев — РИА Новости.", date(2025, 2, 4), "4 фев"),
    ("САНКТ-ПЕТЕРБУРГ, 31 января. /Корр. ТАСС Анна Смирнова/.", date(2025, 1, 31), "31 января"),
]


def test_russian_datelines_give_inferred_dates_with_the_raw_dateline_as_evidence(built):
    _, build = built
    articles = {row["date_evidence"]: row for row in rows_of(build) if row["source"] == "tass"}
    assert sorted(articles) == sorted(evidence for evidence, _, _ in DUMP_DATES)
    for evidence, day, day_month in DUMP_DATES:
        row = articles[evidence]
        assert (row["published_date"], row["date_confidence"]) == (day, "inferred")
        assert row["published_at"] is None
        assert row["date_note"] == (
            "year from the scraper header ' date 2025-02-04' (line 1): the year that puts "
            f"{day_month} nearest the header's date"
        )
        assert row["text"].startswith(evidence)


def test_russian_articles_keep_titles_subtitles_and_a_lost_headline_from_the_header(built):
    _, build = built
    articles = by_place(build)
    washington = articles["ВАШИНГТОН"]
    assert washington["title"] == (
        "Посол России в США выступил на конференции по стратегической стабильности"
    )
    assert washington["subtitle"] == "Дипломат призвал к возобновлению диалога экспертов"
    assert washington["title_source"] == "headline_line"
    # The first article has no headline line (a long subheading only); the scraper header's title
    # shares its content words with the first paragraph, Russian function words left out.
    first = next(
        row for row in rows_of(build) if row["date_evidence"] == "МОСКВА, 4 февраля. /ТАСС/."
    )
    assert first["title"] == "Лавров проведет переговоры с министром иностранных дел Индонезии"
    assert first["title_source"] == "scraper_header"
    assert first["subtitle"].startswith("Стороны обсудят двустороннее сотрудничество")
    assert first["hashtags"] == ["МИД_России", "Россия_Индонезия"]


def test_russian_original_publication_is_read_and_a_date_in_passing_is_not(built):
    _, build = built
    forum = by_place(build)["САНКТ-ПЕТЕРБУРГ"]
    # "30.01.2025 г." in a running sentence is a date in passing: not read.
    assert [(e["date"], e["kind"]) for e in forum["event_dates"]] == [
        (date(2025, 1, 29), "original_publication")
    ]
    assert forum["event_dates"][0]["evidence"] == (
        "впервые опубликована в журнале «Международная жизнь» 29 января 2025 года"
    )


def test_the_line_account_of_the_russian_dump_is_exact(built):
    _, build = built
    accounts = {a.source_file: a for a in build.manifest.line_account}
    dump = accounts["seeds/tass_dump_ru.txt"]
    # Read off the file: line 1 the header; titles 8, 15, 20; subtitles 2 (the long lone one), 9;
    # credits 3, 10; blanks 4, 7, 11, 14, 16, 19, 21; body 5, 6, 12, 13, 17, 18, 22, 23.
    assert dump.lines == {
        "post_title": 3,
        "post_subtitle": 2,
        "post_body": 8,
        "post_metadata": 2,
        "blank": 7,
        "scraper_header": 1,
    }
    text = DUMP.read_text(encoding="utf-8")
    assert sum(dump.chars.values()) == len(text)  # characters, not bytes: Cyrillic is 2 bytes
    export = accounts["seeds/result.json"]
    assert sum(export.lines.values()) == len(EXPORT.read_text(encoding="utf-8").splitlines())
    assert export.lines["service_message"] == 12  # the pin, lines of its JSON object


def test_every_russian_row_points_at_its_exact_bytes(built):
    root, build = built
    for row in rows_of(build):
        prov = row["provenance"]
        raw = (root / prov["source_file"]).read_bytes()
        lines = raw.decode("utf-8").split("\n")[prov["line_start"] - 1 : prov["line_end"]]
        assert raw[prov["byte_start"] : prov["byte_end"]].decode("utf-8") == "\n".join(lines)
        if row["date_evidence"] and row["source"] == "tass":
            assert row["date_evidence"] in "\n".join(lines)


# --- language per post -----------------------------------------------------------------------------


def test_language_is_identified_per_post_and_the_declaration_kept(built):
    _, build = built
    posts = by_native(build)
    assert posts["7001"]["language"] == "ru" and posts["7001"]["language_confidence"] >= 0.9
    # A post in English in the Russian channel: identified as English, declared Russian.
    assert posts["7005"]["language"] == "en" and posts["7005"]["language_confidence"] >= 0.9
    # "🇷🇺🇨🇳 Переговоры" has 10 letters, fewer than min_letters: undetermined, not guessed.
    assert (posts["7004"]["language"], posts["7004"]["language_confidence"]) == ("und", None)
    for row in rows_of(build):
        assert row["declared_language"] == "ru"
        if row["native_id"] not in {"7004", "7005"}:
            assert row["language"] == "ru", row["text"][:40]


def test_disagreements_and_undetermined_posts_are_counted_in_the_build_report(built):
    _, build = built
    counts = build.manifest.stage_counts.language
    assert counts is not None
    assert counts.seen == 9
    assert dict(counts.identified) == {"en": 1, "ru": 7, "und": 1}
    assert counts.undetermined == 1
    assert counts.differs_from_declared == 1
    assert dict(counts.differs_by_pair) == {"ru->en": 1}
    assert build.manifest.versions.language == "language@1"
    assert build.manifest.config.language == load_config(REPO / "statemedia.toml").language
    again = Manifest.from_json(build.manifest.to_json(), "built")
    assert again.stage_counts.language == counts
    assert again.to_json() == build.manifest.to_json()
    assert build.tables[Table.TRAIN].schema.field("language_confidence").type == "double"


def test_a_released_manifest_without_language_entries_reads_and_keeps_its_bytes():
    path = REPO / "dataset" / "data" / "v1.1.0" / "manifest.json"
    text = path.read_text(encoding="utf-8")
    manifest = Manifest.from_json(text, str(path))
    assert manifest.stage_counts.language is None and manifest.versions.language is None
    assert manifest.config.language is None
    assert manifest.to_json() == text


CONFIG = LanguageConfig(
    candidates=("ru", "en", "es", "fr", "de", "pt", "ar", "zh"), min_letters=15, min_confidence=0.6
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Министр иностранных дел провёл переговоры с коллегой из Индонезии.", "ru"),
        ("The Foreign Ministers discussed bilateral cooperation.", "en"),
        ("Los ministros discutieron la cooperación bilateral.", "es"),
        ("Les ministres ont discuté de la coopération bilatérale.", "fr"),
        ("Die Außenminister erörterten die bilaterale Zusammenarbeit.", "de"),
        ("🇷🇺🇨🇳 Переговоры", UNDETERMINED),  # 10 letters
        ("https://mid.ru/en/foreign_policy/news/ @MFARussia 🇷🇺", UNDETERMINED),  # no letters left
    ],
)
def test_identify(text, language):
    found = identify(detector_text(None, text), CONFIG)
    assert found.language == language
    assert (found.confidence is None) == (language == UNDETERMINED)


def test_a_low_probability_is_undetermined_and_identification_is_deterministic():
    text = "🇷🇺🇨🇳 Talks between Sergey Lavrov and Wang Yi"  # Latin names, few cue words
    loose = identify(text, CONFIG)
    assert loose.language == "en" and loose.confidence is not None and loose.confidence < 0.99
    strict = identify(text, replace(CONFIG, min_confidence=0.99))
    assert (strict.language, strict.confidence) == (UNDETERMINED, None)
    assert [identify(text, CONFIG) for _ in range(3)] == [loose] * 3


def parsed_posts(root: Path) -> list:
    """The repo's posts as the build's parse stage identifies them (statemedia.stages)."""
    config = load_config(root / "statemedia.toml")
    files = load_inputs(root / config.build.seeds_dir, root, set(registry()))
    return with_language(parse_and_clean(files).posts, config.language)


def test_identify_posts_keeps_order_and_counts_pairs(built):
    root, build = built
    posts = parsed_posts(root)
    assert identify_posts(posts, CONFIG) == posts  # already identified with the same settings
    counts = language_counts(posts)
    assert counts.differs_by_pair == {"ru->en": 1}
    assert counts == build.manifest.stage_counts.language  # the build counts file by file
    assert identify_posts(posts, CONFIG) == posts  # already identified with the same settings
    counts = language_counts(posts)
    assert counts.differs_by_pair == {"ru->en": 1}


def test_identify_posts_does_not_depend_on_the_engine_or_batching(built, monkeypatch):
    root, _ = built
    identified = parsed_posts(root)
    posts = [replace(post, language=UNDETERMINED, language_confidence=None) for post in identified]
    one = identify_posts(posts, CONFIG, LocalEngine(1))
    monkeypatch.setattr(language, "BATCH_POSTS", 2)  # five batches over two worker processes
    assert identify_posts(posts, CONFIG, LocalEngine(2)) == one
    assert [post.post_id for post in one] == [post.post_id for post in posts]
    assert one == identified


def test_detector_text_drops_urls_and_usernames_but_keeps_hashtags():
    text = "Заявление https://mid.ru/ru/ @MID_RF #МИД_России"
    assert detector_text("Заголовок", text).split() == ["Заголовок", "Заявление", "#МИД_России"]


def test_an_unknown_candidate_language_is_a_config_error():
    with pytest.raises(ConfigError, match=r"candidates \['xx'\] are not languages"):
        identify("Министр иностранных дел провёл переговоры.", replace(CONFIG, candidates=("xx",)))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('candidates = "ru"\nmin_letters = 15\nmin_confidence = 0.6', "must be a list of strings"),
        ('candidates = ["ru"]\nmin_letters = 15', "missing key"),
        ('candidates = ["ru"]\nmin_letters = 15\nmin_confidence = 0.6\nx = 1', "unknown key"),
        ('candidates = ["RU"]\nmin_letters = 15\nmin_confidence = 0.6', "lower-case ISO 639-1"),
        ('candidates = ["ru"]\nmin_letters = 0\nmin_confidence = 0.6', "min_letters must be >= 1"),
        ('candidates = ["ru"]\nmin_letters = 5\nmin_confidence = 1.5', "min_confidence must be"),
    ],
)
def test_the_language_table_is_checked(tmp_path, section, message):
    text = (REPO / "statemedia.toml").read_text(encoding="utf-8")
    start = text.index("[language]")
    rest = text[start + len("[language]") :]
    following = rest.find("\n[")
    tail = rest[following:] if following >= 0 else ""
    path = tmp_path / "statemedia.toml"
    path.write_text(text[:start] + "[language]\n" + section + "\n" + tail, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


# --- the Russian rules, one at a time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "place", "day", "month"),
    [
        ("МОСКВА, 28 июня. /ТАСС/. Текст", "МОСКВА", "28", 6),
        ("ВАШИНГТОН, 3 марта. /ТАСС/. Текст", "ВАШИНГТОН", "3", 3),
        ("НЬЮ-ЙОРК, 1 октября. /Корр. ТАСС Иван Петров/. Текст", "НЬЮ-ЙОРК", "1", 10),
        ("МОСКВА, 4 фев — РИА Новости. Текст", "МОСКВА", "4", 2),
        ("МОСКВА, 12 сент – РИА Новости. Текст", "МОСКВА", "12", 9),
        ("МОСКВА, 9 мая — РИА Новости. Текст", "МОСКВА", "9", 5),
        ("МОСКВА, 4 февраля — РИА Новости. Текст", "МОСКВА", "4", 2),
        ("MOSCOW, February 28. /TASS/. Text", "MOSCOW", "28", 2),
    ],
)
def test_datelines(line, place, day, month):
    match = match_dateline(line)
    assert match is not None
    assert (match["place"], match["day"], month_number(match["month"])) == (place, day, month)


@pytest.mark.parametrize(
    "line",
    [
        "МОСКВА, 28 Июня. /ТАСС/. Текст",  # a capitalised month is no dateline month
        "Москва, 28 июня. /ТАСС/. Текст",  # the place is in capitals
        "МОСКВА, 28 июня. Текст",  # no agency
        "МОСКВА, 4 фев. РИА Новости. Текст",  # RIA's dash missing
    ],
)
def test_not_datelines(line):
    assert match_dateline(line) is None


def test_a_russian_dateline_across_new_year_takes_the_previous_year():
    text = (
        " date 2025-01-02 Итоги года\nИтоги года\n\n"
        "МОСКВА, 31 декабря. /ТАСС/. Министерство подвело итоги года.\n"
    )
    ctx = FileContext("seeds/x.txt", "tass", "web", "ru", {})
    (draft,) = formats()["tass_dump"](split_lines(text), ctx).drafts
    assert draft.published_date == date(2024, 12, 31)
    assert draft.date_evidence == "МОСКВА, 31 декабря. /ТАСС/."


def test_a_russian_tass_page_parses_with_its_dateline_and_credit():
    text = (FIXTURES / "tass_page_ru.txt").read_text(encoding="utf-8")
    ctx = FileContext("seeds/tass_page_ru.txt", "tass", "web", "ru", {})
    parsed = formats()["tass_page"](split_lines(text), ctx)
    (draft,) = parsed.drafts
    assert draft.title == "Лавров: Россия открыта к равноправному диалогу"
    assert draft.subtitle == "Министр подчеркнул, что конфронтация не является выбором Москвы"
    assert (draft.published_date, draft.date_evidence) == (
        date(2025, 2, 5),
        "МОСКВА, 5 февраля. /ТАСС/.",
    )
    roles = {line.number: role for line, role in zip(draft.lines, draft.roles, strict=True)}
    # Photo caption and the "© .../ТАСС" credit are metadata; the two paragraphs are the body.
    assert [roles[n] for n in (8, 9)] == ["post_metadata", "post_metadata"]
    assert [roles[n] for n in (11, 12)] == ["post_body", "post_body"]
    assert dict(parsed.outside)[2] == "template_debris"


@pytest.mark.parametrize(
    ("text", "day", "kind", "evidence"),
    [
        ("Брифинг (Москва, 4 февраля 2025 года)", date(2025, 2, 4), "event", None),
        ("Выступление (4 февраля 2025 г., Москва):", date(2025, 2, 4), "event", None),
        ("Заявление (04.02.2025 г.)", date(2025, 2, 4), "event", None),
        ("Заявление (04.02.2025)", date(2025, 2, 4), "event", None),
        (
            "Интервью, опубликованное в газете «Известия» (06.02.2025)",
            date(2025, 2, 6),
            "original_publication",
            "опубликованное в газете «Известия» (06.02.2025)",
        ),
        (
            "#ДеньВИстории 8️⃣0️⃣ лет назад, 4 февраля 1945 года, открылась конференция.",
            date(1945, 2, 4),
            "anniversary",
            "8️⃣0️⃣ лет назад, 4 февраля 1945 года",
        ),
        (
            "22 года назад 6 февраля 2003 г. было подписано соглашение.",
            date(2003, 2, 6),
            "anniversary",
            "22 года назад 6 февраля 2003 г.",
        ),
        (
            "Статья впервые опубликована 28 июня 2021 года.",
            date(2021, 6, 28),
            "original_publication",
            "впервые опубликована 28 июня 2021 года",
        ),
    ],
)
def test_russian_event_dates(text, day, kind, evidence):
    (found,) = event_dates([text])
    assert (found.date, found.kind) == (day, EventDateKind(kind))
    assert found.evidence == (evidence or text[text.index("(") : text.rindex(")") + 1])
    assert found.evidence in text


@pytest.mark.parametrize(
    "text",
    [
        "Переговоры (Москва, 31 февраля 2025 года)",  # no such day
        "Переговоры состоятся 4 февраля в Москве.",  # no year
        "Договор (подписан 4 февраля 2025 года) вступил в силу в марте.",  # in passing
    ],
)
def test_russian_dates_not_read(text):
    assert event_dates([text]) == ()


@pytest.mark.parametrize(
    ("name", "number"),
    [("февраля", 2), ("Февраля", 2), ("фев", 2), ("сент", 9), ("мая", 5), ("February", 2)],
)
def test_month_number(name, number):
    assert month_number(name) == number


def test_month_number_of_a_non_month():
    assert month_number("февраль") is None  # the nominative is not how a date names a month


@pytest.mark.parametrize(
    ("line", "removed"),
    [
        ("📄 Читать полностью", True),
        ("Читать полностью", True),
        ("📺 Смотреть", True),
        ("📰 Читать", True),
        ("Подробнее", True),
        ("Подробнее о переговорах читайте на сайте", False),
    ],
)
def test_russian_link_anchors(line, removed):
    assert is_link_anchor(line) is removed


def test_cyrillic_hashtags_and_nfc():
    assert extract_hashtags("#МИД_России и #Россия_Китай, снова #МИД_России") == (
        "МИД_России",
        "Россия_Китай",
    )
    assert normalise_line("Сергеи\u0306\u00a0Лавров") == "Сергей Лавров"


def test_the_export_fixture_is_valid_json_in_desktop_layout():
    data = json.loads(EXPORT.read_text(encoding="utf-8"))
    assert data["type"] == "public_channel" and data["name"] == "МИД России 🇷🇺"
    assert [m["type"] for m in data["messages"]].count("service") == 1


# --- into a release --------------------------------------------------------------------------------


def test_the_russian_inputs_release_verify_and_load(tmp_path):
    root = russian_repo(tmp_path)
    assert main(["--root", str(root), "release", "--version", "1.0.0", "--date", "2026-12-02"]) == 0
    assert main(["--root", str(root), "verify"]) == 0
    ds = datasets.load_dataset(str(root / "dataset"), cache_dir=str(tmp_path / "cache"))
    rows = [row for split in ds for row in ds[split]]
    assert {row["declared_language"] for row in rows} == {"ru"}
    identified = [row["language"] for row in rows]
    assert identified.count("ru") > len(rows) // 2
    post = next(row for row in rows if row["native_id"] == "7001")
    assert post["hashtags"] == ["МИД_России", "Россия_Китай"]  # Cyrillic hashtags, whole
    tass = [row for row in rows if row["source"] == "tass"]
    assert tass and all(row["published_date"] is not None for row in tass)
    manifest = json.loads((root / "dataset" / "data" / "v1.0.0" / "manifest.json").read_text())
    counts = manifest["stage_counts"]["language"]
    assert counts["identified"]["ru"] >= identified.count("ru")  # before dedup: all posts
    # the fixture's English-language quote post is identified as such, and counted
    assert counts["differs_by_pair"].get("ru->en", 0) >= identified.count("en") >= 1


def test_release_languages_are_the_identified_ones_else_the_declared(built):
    _, build = built
    manifest = build.manifest
    assert manifest.languages() == ["en", "ru"]  # identified; the quote post is English
    counts = manifest.stage_counts.language
    assert counts is not None
    only_und = replace(counts, identified={UNDETERMINED: counts.seen})
    undetermined = replace(manifest, stage_counts=replace(manifest.stage_counts, language=only_und))
    assert undetermined.languages() == ["ru"]  # nothing identified: what the inputs declare
    older = replace(manifest, stage_counts=replace(manifest.stage_counts, language=None))
    assert older.languages() == ["ru"]
