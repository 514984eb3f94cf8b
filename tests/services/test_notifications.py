from __future__ import annotations

import pytest

from services import notifications
from services.errors import NotFound
from tests.case_factories import accepted_case, make_world


def test_notify_once_per_key_list_and_read(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        first = notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id,
                                         params={"case_no": case.case_no}, dedupe_key="k1")
        again = notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id,
                                         dedupe_key="k1")
        plain = notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    assert (first, again, plain) == (True, False, True)
    with db.read() as s:
        mine = notifications.list_notifications(s, actor=w.mediator)
        assert notifications.count_unread(s, actor=w.mediator) == 2
        assert notifications.list_notifications(s, actor=w.mediator2) == []
    assert [n.key for n in mine] == ["notify.handover_in", "notify.reopened"]
    with pytest.raises(NotFound), db.write() as s:
        notifications.mark_read(s, actor=w.mediator2, notification_id=mine[0].id)
    with db.write() as s:
        notifications.mark_read(s, actor=w.mediator, notification_id=mine[0].id)
    with db.read() as s:
        assert notifications.count_unread(s, actor=w.mediator) == 1


def test_coordinator_of_a_county_or_the_nearest_above(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.read() as s:
        assert notifications.coordinator_org_ids(s, case) == [w.orgs["coord"].id]
        case.county_id = None
        assert notifications.coordinator_org_ids(s, case) == [w.orgs["root"].id]
