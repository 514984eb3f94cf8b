"""The public intake pipeline: each stage alone, then the whole submission (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import col, func, select

from models import Attachment, Case, CaseEvent, FormSpec, FormSubmission, Notification, Organisation, Party
from models.base import utc_now
from services.core.config import ConfigError, Limit, get_settings
from services.core.errors import NotFound, ValidationFailed
from services.core.ratelimit import RateLimited
from services.intake import pipeline as intake
from services.intake import posters as qr
from services.intake.form import (
    IntakeForm,
    IntakeInvalid,
    issue_form_token,
    parse_fields,
    prepare_photos,
    validate_contact,
    validate_details,
    validate_form,
)
from services.intake.pipeline import IntakeSettings, submit_intake
from services.intake.tracking import ALPHABET
from tests.factories import make_case, make_tree, make_user

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))
CATEGORIES = {"neighbour", "loan", "other"}
STORY = "邻居家排水沟堵塞，雨水流进我家院子，多次协商无果，希望调解员帮忙。"


def make_form(**overrides) -> IntakeForm:
    values = {
        "org_code": "V1",
        "form_token": issue_form_token(utc_now() - timedelta(seconds=30)),
        "applicant_name": "张三",
        "applicant_phone": "13812345678",
        "description": STORY,
        "category": "neighbour",
        "consent": True,
    }
    values.update(overrides)
    return IntakeForm(**values)


def count(db, model, *where) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())


@pytest.fixture
def tree(db):
    with db.write() as s:
        return make_tree(s)


def fields_of(err: IntakeInvalid) -> set[str]:
    return {p.field for p in err.problems}


# --- validate_contact ----------------------------------------------------------------------------------


def test_validate_contact_normalises_phone_and_id():
    contact = validate_contact(
        make_form(
            applicant_name=" 王五 ", applicant_phone="+86 138-1234-5678", applicant_id_number="11010519491231002x"
        )
    )
    assert (contact.name, contact.phone, contact.id_number) == ("王五", "13812345678", "11010519491231002X")


def test_validate_contact_reports_every_problem():
    with pytest.raises(IntakeInvalid) as err:
        validate_contact(
            make_form(applicant_name="  ", applicant_phone="12345", applicant_id_number="110105194912310021")
        )
    assert fields_of(err.value) == {"applicant_name", "applicant_phone", "applicant_id_number"}
    assert {p.key for p in err.value.problems} == {"error.intake_required", "error.phone_invalid", "error.id_invalid"}


# --- validate_details ----------------------------------------------------------------------------------


def test_validate_details_keeps_free_text_exactly():
    text = "  第一行\n\t=SUM(A1)\u202e\u200b 结尾  "
    details = validate_details(make_form(description=text, request=text), [], CATEGORIES)
    assert details.description == text and details.request == text
    assert details.respondent is None and details.category == "neighbour"


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("description", "x" * 5001, "error.intake_too_long"),
        ("description", "有\x00空字符", "error.intake_bad_chars"),
        ("description", "孤立代理\ud800", "error.intake_bad_chars"),
        ("place", "地\n点", "error.intake_bad_chars"),
        ("place", "地" * 201, "error.intake_too_long"),
        ("respondent_name", "李\t四", "error.intake_bad_chars"),
        ("respondent_phone", "110", "error.phone_invalid"),
        ("category", "no_such_category", "error.intake_choice_invalid"),
    ],
)
def test_validate_details_refuses_with_field_message(field, value, key):
    with pytest.raises(IntakeInvalid) as err:
        validate_details(make_form(**{field: value}), [], CATEGORIES)
    assert [(p.field, p.key) for p in err.value.problems] == [(field, key)]


def test_validate_details_builds_respondent_as_far_as_known():
    details = validate_details(make_form(respondent_phone="13900001111"), [], CATEGORIES)
    assert details.respondent is not None
    assert (details.respondent.name, details.respondent.phone) == ("不详", "13900001111")


FIELDS = parse_fields(
    [
        {"key": "households", "type": "number", "label_zh": "户数", "label_en": "Households", "required": True},
        {"key": "when", "type": "date", "label_zh": "日期", "label_en": "Date"},
        {
            "key": "village",
            "type": "choice",
            "label_zh": "村",
            "label_en": "Village",
            "options": [{"code": "east", "label_zh": "东村", "label_en": "East"}, "west"],
        },
        {"key": "urgent", "type": "yes_no", "label_zh": "紧急", "label_en": "Urgent"},
        {"key": "contact", "type": "phone", "label_zh": "联系人电话", "label_en": "Contact"},
        {"key": "note", "type": "long_text", "label_zh": "备注", "label_en": "Note", "max_length": 10},
        {"key": "broken"},  # skipped: no type
        "not a dict",
    ]
)


def test_parse_fields_skips_malformed_entries():
    assert [f.key for f in FIELDS] == ["households", "when", "village", "urgent", "contact", "note"]
    assert FIELDS[2].options == (("east", "东村", "East"), ("west", "west", "west"))
    assert FIELDS[5].max_length == 10


def test_validate_custom_fields_typed_and_stored():
    details = validate_details(
        make_form(
            custom={
                "households": "12",
                "when": "2026-03-01",
                "village": "east",
                "urgent": True,
                "contact": "139 0000 1111",
                "note": "两户\n争水",
            }
        ),
        FIELDS,
        CATEGORIES,
    )
    assert details.custom == {
        "households": 12,
        "when": "2026-03-01",
        "village": "east",
        "urgent": True,
        "contact": "13900001111",
        "note": "两户\n争水",
    }


def test_validate_custom_fields_report_each_problem():
    with pytest.raises(IntakeInvalid) as err:
        validate_details(
            make_form(
                custom={"when": "yesterday", "village": "north", "urgent": "maybe", "contact": "12", "note": "x" * 11}
            ),
            FIELDS,
            CATEGORIES,
        )
    assert {(p.field, p.key) for p in err.value.problems} == {
        ("custom.households", "error.intake_required"),
        ("custom.when", "error.intake_date_invalid"),
        ("custom.village", "error.intake_choice_invalid"),
        ("custom.urgent", "error.intake_choice_invalid"),
        ("custom.contact", "error.phone_invalid"),
        ("custom.note", "error.intake_too_long"),
    }


# --- photos --------------------------------------------------------------------------------------------


def image_bytes(fmt: str, size=(2400, 1200), mode="RGB", exif: bool = False) -> bytes:
    img = Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x0112] = 6  # orientation: rotate 90° to view
        tags[0x010F] = "SecretCam"
        tags[0x8825] = {2: (30.0, 0.0, 0.0)}  # GPS latitude
        img.save(out, fmt, exif=tags.tobytes())
    else:
        img.save(out, fmt)
    return out.getvalue()


def test_prepare_photos_resizes_turns_upright_and_strips_exif():
    photos = prepare_photos(
        [image_bytes("JPEG", exif=True), image_bytes("PNG", mode="RGBA"), image_bytes("WEBP", size=(800, 600))]
    )
    assert [p.mime for p in photos] == ["image/jpeg"] * 3
    sizes = []
    for p in photos:
        with Image.open(io.BytesIO(p.content)) as im:
            assert im.format == "JPEG" and not im.getexif() and max(im.size) <= 1600
            sizes.append(im.size)
    assert sizes == [(800, 1600), (1600, 800), (800, 600)]  # the EXIF-rotated photo stands upright
    assert b"SecretCam" not in photos[0].content


@pytest.mark.parametrize(
    ("blob", "key"),
    [
        (b"MZ\x90\x00 this is an exe renamed photo.jpg", "error.intake_photo_unreadable"),
        (b"<svg onload=alert(1)></svg>", "error.intake_photo_unreadable"),
        (image_bytes("GIF", size=(10, 10)), "error.intake_photo_type"),
        (image_bytes("PNG", size=(10, 10))[:60], "error.intake_photo_unreadable"),
        (b"\xff" * (10 * 1024 * 1024 + 1), "error.intake_photo_too_big"),
    ],
)
def test_prepare_photos_refuses_by_content(blob, key):
    with pytest.raises(IntakeInvalid) as err:
        prepare_photos([image_bytes("PNG", size=(10, 10)), blob])
    assert [(p.field, p.key, p.params.get("n")) for p in err.value.problems] == [("photos", key, 2)]


def test_prepare_photos_refuses_pixel_bomb_and_a_fourth_photo():
    bomb = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb, "PNG")  # 60 M pixels in a few kB
    with pytest.raises(IntakeInvalid) as err:
        prepare_photos([bomb.getvalue()])
    assert err.value.problems[0].key == "error.intake_photo_unreadable"
    with pytest.raises(IntakeInvalid) as err:
        prepare_photos([image_bytes("PNG", size=(5, 5))] * 4)
    assert err.value.problems[0].key == "error.intake_photos_too_many"


# --- determine_org -------------------------------------------------------------------------------------


def test_determine_org_accepts_mediation_bodies_only(db, tree):
    with db.write() as s:
        assert intake.determine_org(s, " v1 ").code == "V1"
        assert intake.determine_org(s, "P1").kind == "police_room"
        s.get(Organisation, tree["v2"].id).active = False
    with db.read() as s:
        for code in ("V2", "CT1", "J1", "T1", "C1", "NOPE", "", "' OR 1=1--"):
            with pytest.raises(NotFound):
                intake.determine_org(s, code)
        assert intake.find_intake_org(s, "V2") is None
        assert intake.find_intake_org(s, "V1").address == "红桥镇东村村委会"


# --- classify ------------------------------------------------------------------------------------------


def _classify(db, org, *, category="neighbour", description=STORY, honeypot="", seconds=30.0, flooded=False):
    details = validate_details(make_form(description=description), [], {"neighbour", "loan", "other"})
    details.category = category
    with db.read() as s:
        return intake.classify(
            s, org=org, details=details, honeypot=honeypot, seconds=seconds, org_flooded=flooded, settings=OPEN
        )


def test_classify_category_risk_and_spam_signals(db, tree):
    v1 = tree["v1"]
    assert _classify(db, v1) == intake.Classification("neighbour", (), ())
    assert _classify(db, v1, category="retired_code").category == "other"
    assert _classify(db, v1, description="他说要打死我，我也不想活了").risk_flags == ("self_harm", "violence")
    assert _classify(db, v1, honeypot="http://spam").spam_signals == ("honeypot",)
    assert _classify(db, v1, seconds=1.2).spam_signals == ("too_fast",)
    assert _classify(db, v1, description="买药 http://a.example 和 www.b.example").spam_signals == ("links",)
    assert _classify(db, v1, flooded=True).spam_signals == ("org_flood",)


# --- detect_duplicates ---------------------------------------------------------------------------------


def test_similarity_of_rewordings_and_strangers():
    assert intake.similarity(STORY, STORY + "谢谢！") > 0.9
    assert intake.similarity(STORY, "工地老板拖欠我三个月工资共计一万二千元") < 0.2
    assert intake.similarity("", "") == 0.0


def test_detect_duplicates_same_phone_similar_text_within_7_days(db, tree):
    with db.write() as s:
        earlier = make_case(s, tree["v1"], description=STORY)
        make_case(
            s,
            tree["v2"],
            description=STORY,
            received_at=utc_now() - timedelta(days=8),
            parties=[intake.PartyInput(side="applicant", name="赵六", phone="13700000000")],
        )
    with db.read() as s:
        assert intake.detect_duplicates(s, phone="13812345678", description=STORY + "。").id == earlier.id
        assert intake.detect_duplicates(s, phone="13812345678", description="工地老板拖欠我三个月工资") is None
        assert intake.detect_duplicates(s, phone="13999999999", description=STORY) is None
        assert intake.detect_duplicates(s, phone="13700000000", description=STORY) is None  # 8 days old


# --- create_submitted_case, issue_tracking_code, notify_staff ------------------------------------------


def test_create_submitted_case_with_parties_photos_and_quarantine(db, tree):
    form = make_form(respondent_name="李四", respondent_address="东村3组", custom={})
    contact, details, photos = validate_form(form, [], CATEGORIES | {"neighbour"})
    photos = prepare_photos([image_bytes("PNG", size=(40, 40))])
    with db.write() as s:
        case = intake.create_submitted_case(
            s,
            org=s.get(Organisation, tree["v1"].id),
            contact=contact,
            details=details,
            cls=intake.Classification("neighbour", (), ("honeypot",)),
            photos=photos,
            token=form.form_token,
            form_version=3,
            seconds=12.5,
        )
        code = intake.issue_tracking_code(s, case)
    assert len(code) == 12 and set(code) <= set(ALPHABET)
    with db.read() as s:
        c = s.get(Case, case.id)
        parties = s.exec(select(Party).where(Party.case_id == c.id).order_by(col(Party.id))).all()
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == c.id).order_by(col(CaseEvent.id)))]
        received = s.exec(select(CaseEvent).where(CaseEvent.case_id == c.id, CaseEvent.kind == "intake.received")).one()
    assert (c.status, c.source, c.form_token, c.tracking_code) == ("submitted", "qr", form.form_token, code)
    assert [(p.side, p.name, p.address) for p in parties] == [
        ("applicant", "张三", ""),
        ("respondent", "李四", "东村3组"),
    ]
    assert parties[0].phone_index == intake.phone_index("13812345678")
    assert kinds == ["created", "intake.received", "intake.quarantined"]
    assert received.data == {"form_version": 3, "photos": 1, "seconds": 12.5}
    assert count(db, Attachment, Attachment.case_id == c.id) == 1


def test_issue_tracking_code_retries_a_taken_code(db, tree, monkeypatch):
    with db.write() as s:
        first = make_case(s, tree["v1"])
        first.tracking_code = "ABCDEFGHJKMN"
        second = make_case(s, tree["v1"])
        codes = iter(["ABCDEFGHJKMN", "PQRSTUVWXYZ2"])
        monkeypatch.setattr(intake, "new_tracking_code", lambda: next(codes))
        assert intake.issue_tracking_code(s, second) == "PQRSTUVWXYZ2"


def test_notify_staff_of_the_organisation_only(db, tree):
    with db.write() as s:
        mediator = make_user(s, tree["v1"], ["mediator"])
        make_user(s, tree["v1"], ["police"])  # no intake permission
        make_user(s, tree["v2"], ["mediator"])  # another village
        case = make_case(s, tree["v1"])
        assert intake.notify_staff(s, case=case, key="notify.intake_new") == 1
        lonely = make_case(s, tree["police"])
        assert intake.notify_staff(s, case=lonely, key="notify.intake_new") == 0
    with db.read() as s:
        rows = s.exec(select(Notification).order_by(col(Notification.id))).all()
    assert [(n.user_id, n.org_id, n.case_id) for n in rows] == [
        (mediator.id, None, case.id),
        (None, tree["police"].id, lonely.id),
    ]
    assert rows[0].params == {"case_no": case.case_no, "high_risk": False}


# --- the whole submission ------------------------------------------------------------------------------


def test_submit_creates_case_and_notifies(db, tree):
    with db.write() as s:
        staff = make_user(s, tree["v1"], ["mediator"])
    result = submit_intake(db, make_form(), client="10.0.0.1", settings=OPEN)
    assert result.outcome == "created" and result.org_name == "东村调委会"
    assert len(result.tracking_code) == 14 and result.tracking_code.count("-") == 2
    with db.read() as s:
        case = s.get(Case, result.case_id)
        assert case.tracking_code == result.tracking_code.replace("-", "")
        assert s.exec(select(Notification.user_id).where(Notification.case_id == case.id)).all() == [staff.id]
    assert count(db, CaseEvent, CaseEvent.kind == "intake.quarantined") == 0


def test_submit_replayed_token_returns_the_first_result(db, tree):
    form = make_form()
    first = submit_intake(db, form, client="10.0.0.1", settings=OPEN)
    again = submit_intake(db, form, client="10.0.0.1", settings=OPEN)
    changed = submit_intake(
        db, make_form(form_token=form.form_token, description="完全不同的内容" * 5), client="10.0.0.2", settings=OPEN
    )
    assert first == again == changed
    assert count(db, Case) == 1


def test_submit_same_phone_similar_text_links_to_earlier(db, tree):
    first = submit_intake(db, make_form(), client="10.0.0.1", settings=OPEN)
    second_form = make_form(description=STORY + "补充：昨天又下雨了。", place="东村3组")
    second = submit_intake(db, second_form, client="10.0.0.1", settings=OPEN)
    assert second.outcome == "linked" and second.tracking_code is None and second.case_id == first.case_id
    assert submit_intake(db, second_form, client="10.0.0.1", settings=OPEN) == second  # a replay stays linked
    assert count(db, Case) == 1
    assert count(db, FormSubmission, FormSubmission.token == second_form.form_token) == 1
    with db.read() as s:
        event = s.exec(select(CaseEvent).where(CaseEvent.kind == "intake.linked")).one()
        notes = s.exec(select(Notification.key).where(Notification.case_id == first.case_id)).all()
    assert event.case_id == first.case_id and event.note == second_form.description
    assert event.data["place"] == "东村3组"
    assert sorted(notes) == ["notify.intake_linked", "notify.intake_new"]
    other = submit_intake(
        db,
        make_form(description="工地老板拖欠我三个月工资共计一万二千元，希望帮忙讨回"),
        client="10.0.0.1",
        settings=OPEN,
    )
    assert other.outcome == "created" and count(db, Case) == 2


def test_submit_honeypot_and_too_fast_are_quarantined_not_dropped(db, tree):
    with db.write() as s:
        make_user(s, tree["v1"], ["mediator"])
    bot = submit_intake(db, make_form(honeypot="buy now"), client="10.0.0.9", settings=OPEN)
    fast = submit_intake(
        db, make_form(applicant_phone="13900000001", form_token=issue_form_token()), client="10.0.0.9", settings=OPEN
    )
    with db.read() as s:
        events = {
            e.case_id: e.data["signals"]
            for e in s.exec(select(CaseEvent).where(CaseEvent.kind == "intake.quarantined")).all()
        }
    assert events == {bot.case_id: ["honeypot"], fast.case_id: ["too_fast"]}
    assert bot.tracking_code and fast.tracking_code  # the sender cannot tell
    assert count(db, Notification) == 0  # staff are not pinged for suspected spam


def test_submit_identical_text_from_many_phones_is_a_burst(db, tree):
    results = [
        submit_intake(
            db,
            make_form(
                applicant_phone=f"1390000{i:04d}", description="免费领取补贴，请加微信群了解详情，名额有限先到先得"
            ),
            client=f"10.0.1.{i}",
            settings=OPEN,
        )
        for i in range(10)
    ]
    with db.read() as s:
        flagged = set(s.exec(select(CaseEvent.case_id).where(CaseEvent.kind == "intake.quarantined")).all())
    assert flagged == {r.case_id for r in results}  # the first copies are pulled into review as well


def test_submit_client_over_limit_is_refused_politely(db, tree):
    settings = IntakeSettings(min_seconds=0, client=Limit(5, 600), org=Limit(1000, 3600))
    accepted, refused = 0, 0
    for i in range(100):
        text = f"第{i}号纠纷：" + "不同的情况说明" * (i % 7 + 1)
        form = make_form(applicant_phone=f"1370000{i:04d}", description=text)
        try:
            submit_intake(db, form, client="203.0.113.7", settings=settings)
            accepted += 1
        except RateLimited as err:
            assert err.key == "error.rate_limited" and err.params == {"minutes": 10}
            refused += 1
    assert (accepted, refused) == (5, 95)
    assert count(db, Case) == 5
    submit_intake(db, make_form(), client="203.0.113.8", settings=settings)  # another client is fine


def test_submit_org_flood_quarantines_then_refuses(db, tree):
    settings = IntakeSettings(min_seconds=0, client=Limit(1000, 600), org=Limit(2, 3600))
    outcomes = []
    for i in range(22):
        form = make_form(applicant_phone=f"1360000{i:04d}", description=f"情况{i}：" + "邻里纠纷" * (i + 3))
        try:
            outcomes.append(submit_intake(db, form, client=f"198.51.100.{i}", settings=settings).case_id)
        except RateLimited:
            outcomes.append(None)
    assert outcomes.count(None) == 2  # hits 21 and 22 are over 10 × 2
    assert count(db, CaseEvent, CaseEvent.kind == "intake.quarantined") == 18


def test_submit_refuses_forged_stale_and_unknown(db, tree):
    token = issue_form_token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    stale = issue_form_token(utc_now() - timedelta(days=3))
    for bad in (forged, stale, "", "x" * 80):
        with pytest.raises(ValidationFailed, match=r"error\.intake_form_expired"):
            submit_intake(db, make_form(form_token=bad), client="c", settings=OPEN)
    with pytest.raises(NotFound):
        submit_intake(db, make_form(org_code="CT1"), client="c", settings=OPEN)
    with pytest.raises(IntakeInvalid) as err:
        submit_intake(db, make_form(consent=False, applicant_phone="123"), client="c", settings=OPEN)
    assert fields_of(err.value) == {"consent", "applicant_phone"}
    assert count(db, Case) == 0


def test_submit_stores_custom_fields_of_active_spec(db, tree):
    with db.write() as s:
        spec = s.exec(select(FormSpec).where(FormSpec.code == "intake")).one()
        s.add(
            FormSpec(
                code="intake",
                version=spec.version + 1,
                title_zh="扫码申请表",
                title_en="Intake",
                fields=[
                    {
                        "key": "households",
                        "type": "number",
                        "label_zh": "户数",
                        "label_en": "Households",
                        "required": True,
                    }
                ],
            )
        )
    with pytest.raises(IntakeInvalid) as err:
        submit_intake(db, make_form(), client="c", settings=OPEN)
    assert fields_of(err.value) == {"custom.households"}
    result = submit_intake(db, make_form(custom={"households": 3}), client="c", settings=OPEN)
    with db.read() as s:
        assert s.get(Case, result.case_id).custom == {"households": 3}


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0.5")
    monkeypatch.setenv("MEDIATION_INTAKE_CLIENT_LIMIT", "7/60")
    get_settings.cache_clear()
    assert IntakeSettings.from_settings() == IntakeSettings(0.5, Limit(7, 60), Limit(30, 3600))


def test_refuse_unreadable_limit_when_settings_load(monkeypatch):
    monkeypatch.setenv("MEDIATION_INTAKE_ORG_LIMIT", "nonsense")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="MEDIATION_INTAKE_ORG_LIMIT"):
        IntakeSettings.from_settings()


def test_directory_groups_by_county_and_town(db, tree):
    with db.read() as s:
        groups = qr.directory(s)
    assert [(g.county, g.area, [o.code for o in g.orgs]) for g in groups] == [
        ("", "", ["ROOT"]),
        ("江安县", "红桥镇", ["V1", "V2", "P1"]),
    ]
