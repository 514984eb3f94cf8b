"""The field engine: spec checks with their message keys, value checks, conditions, ID numbers and photos."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.core.config import get_settings
from services.core.i18n import catalogue
from services.core.security import decrypt_id
from services.lowcode.fields import FormInvalid, display_value, parse_fields, validate_spec, validate_values, visible
from services.lowcode.spec_checks import options_from_text, options_to_text

ID = "11010519491231002X"


def f(key, kind, **extra):
    return {"key": key, "type": kind, "label_zh": key + "名", "label_en": key, **extra}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


SPEC = [
    f("day", "date", required=True),
    f("risk", "yes_no", required=True),
    f(
        "level",
        "choice",
        required=True,
        options=[{"code": "low", "label_zh": "一般", "label_en": "Low"}, "高"],
        condition={"field": "risk", "equals": "yes"},
    ),
    f("kinds", "multi_choice", options=["甲", "乙"]),
    f("n", "number"),
    f("who", "id_number"),
    f("tel", "phone"),
    f("pics", "photo"),
    f("note", "long_text"),
]


def test_validate_spec_accepts_a_good_spec():
    assert validate_spec(SPEC) == []


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ([f("a", "text"), f("a", "number")], "error.form_key_duplicate"),
        ([f("A b", "text")], "error.form_key_syntax"),
        ([f("a", "colour")], "error.form_type_unknown"),
        ([f("a", "choice")], "error.form_options_missing"),
        ([f("a", "choice", options=["x", "x"])], "error.form_options_duplicate"),
        ([f("a", "choice", dictionary="planets")], "error.form_dictionary_unknown"),
        ([f("a", "text", condition={"field": "b", "equals": "yes"}), f("b", "yes_no")], "error.form_condition_field"),
        ([{"key": "a", "type": "text"}], "error.form_label_missing"),
        ([], "error.form_no_fields"),
        ("nope", "error.form_fields_not_list"),
    ],
)
def test_validate_spec_names_the_problem(fields, key):
    problems = validate_spec(fields, dictionaries={"category"})
    assert key in [p.key for p in problems]
    assert all(p.key in catalogue() for p in problems)


def test_validate_spec_accepts_known_dictionary():
    assert validate_spec([f("a", "choice", dictionary="category")], dictionaries={"category"}) == []


def test_validate_values_cleans_and_hides_conditional_fields():
    fields = parse_fields(SPEC)
    data, photos = validate_values(
        fields,
        {
            "day": "2026-11-02",
            "risk": "no",
            "level": "low",
            "n": "3",
            "kinds": ["乙", "甲", "乙"],
            "pics": [png()],
            "note": "  行\n二  ",
        },
    )
    assert data["day"] == "2026-11-02" and data["risk"] is False and data["n"] == 3
    assert "level" not in data  # hidden: neither required nor stored
    assert data["kinds"] == ["乙", "甲"] and data["note"] == "  行\n二  "
    assert len(photos["pics"]) == 1 and data["pics"] == [photos["pics"][0].sha256]


def test_validate_values_requires_shown_conditional_field():
    with pytest.raises(FormInvalid) as err:
        validate_values(parse_fields(SPEC), {"day": "2026-11-02", "risk": "yes"})
    assert [(p.field, p.key) for p in err.value.problems] == [("level", "error.intake_required")]


def test_validate_values_lists_every_problem():
    with pytest.raises(FormInvalid) as err:
        validate_values(
            parse_fields(SPEC),
            {
                "day": "x",
                "risk": "maybe",
                "n": "many",
                "kinds": ["丙"],
                "who": "110105194912310021",
                "tel": "12345",
                "pics": [b"not a photo"],
            },
        )
    got = {p.field: p.key for p in err.value.problems}
    assert got == {
        "day": "error.intake_date_invalid",
        "risk": "error.intake_choice_invalid",
        "n": "error.intake_number_invalid",
        "kinds": "error.intake_choice_invalid",
        "who": "error.id_invalid",
        "tel": "error.phone_invalid",
        "pics": "error.intake_photo_unreadable",
    }


def test_id_number_is_stored_encrypted_and_shown_masked():
    fields = parse_fields(SPEC)
    data, _ = validate_values(fields, {"day": "2026-11-02", "risk": "no", "who": ID.lower()})
    assert ID not in str(data)
    assert decrypt_id(data["who"]["enc"], [get_settings().data_key]) == ID
    shown = display_value(fields[5], data["who"], "zh-CN")
    assert shown.startswith("1101") and shown.endswith("002X") and "*" in shown


def test_display_value_counts_photos_and_labels_choices():
    fields = {x.key: x for x in parse_fields(SPEC)}
    assert display_value(fields["pics"], ["a", "b"], "zh-CN") == "2 张照片"
    assert display_value(fields["level"], "low", "en") == "Low"
    assert display_value(fields["risk"], True, "zh-CN") == "是"


def test_visible_compares_yes_no_and_lists():
    level = parse_fields(SPEC)[2]
    assert visible(level, {"risk": True}) and visible(level, {"risk": "yes"}) and not visible(level, {"risk": False})
    assert not visible(level, {})


def test_options_text_round_trips():
    opts = options_from_text("low | 一般 | Low\n高\n\n")
    assert opts == [
        {"code": "low", "label_zh": "一般", "label_en": "Low"},
        {"code": "高", "label_zh": "高", "label_en": "高"},
    ]
    assert options_from_text(options_to_text(opts)) == opts
