"""Group-robot webhooks (WeCom 企业微信 / DingTalk 钉钉): settings per organisation, the message, one HTTP post."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from models import Organisation, OrgWebhook
from services.access.authz import Actor, area_org_ids, org_in_scope, require
from services.access.permissions import P
from services.core import audit
from services.core.config import get_settings
from services.core.errors import ValidationFailed
from services.core.i18n import translate

VENDORS = ("wecom", "dingtalk")
VENDOR_HOSTS = {"wecom": "qyapi.weixin.qq.com", "dingtalk": "oapi.dingtalk.com"}
MAX_CONTENT = 1000


@dataclass(frozen=True)
class WebhookView:
    org_id: int
    vendor: str
    masked_url: str
    active: bool


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str  # a short reason without the address (it holds the robot's key)
    final: bool = False  # no point in retrying (the robot was switched off or removed)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(vendor: str, url: str) -> str:
    """The cleaned address, or a clear error: https to the vendor's robot host (http://127.0.0.1 only in tests)."""
    if vendor not in VENDORS:
        raise ValidationFailed("error.webhook_vendor")
    url = url.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if len(url) > 500 or not host or parts.username or parts.password:
        raise ValidationFailed("error.webhook_url")
    if get_settings().webhook_allow_local and _is_loopback(host) and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https":
        raise ValidationFailed("error.webhook_https")
    if host != VENDOR_HOSTS[vendor] or parts.port not in (None, 443):
        raise ValidationFailed("error.webhook_host", host=VENDOR_HOSTS[vendor])
    return url


def mask_url(url: str) -> str:
    """The address with its key hidden: scheme, host and path, then the last four characters of the query."""
    parts = urlsplit(url)
    tail = (parts.query or parts.path)[-4:]
    return f"{parts.scheme}://{parts.hostname}{parts.path[:24]}…{tail}"


@dataclass(frozen=True)
class OrgChoice:
    org_id: int
    name: str
    webhook: WebhookView | None


def list_webhook_orgs(session: Session, *, actor: Actor, limit: int = 300) -> list[OrgChoice]:
    """The organisations of the actor's area, each with its webhook (masked) if it has one."""
    require(actor, P.LOWCODE_EDIT)
    rows = session.exec(
        select(Organisation, OrgWebhook)
        .join(OrgWebhook, col(OrgWebhook.org_id) == col(Organisation.id), isouter=True)
        .where(col(Organisation.id).in_(area_org_ids(actor)), Organisation.active == True)  # noqa: E712
        .order_by(col(Organisation.path))
        .limit(limit)
    ).all()
    return [
        OrgChoice(
            org_id=o.id or 0,
            name=o.name,
            webhook=None
            if w is None
            else WebhookView(org_id=o.id or 0, vendor=w.vendor, masked_url=mask_url(w.url), active=w.active),
        )
        for o, w in rows
    ]


def get_webhook(session: Session, *, actor: Actor, org_id: int) -> WebhookView | None:
    """The organisation's webhook, masked; None when it has none."""
    require(actor, P.LOWCODE_EDIT)
    org_in_scope(session, actor, org_id)
    row = session.exec(select(OrgWebhook).where(OrgWebhook.org_id == org_id)).first()
    if row is None:
        return None
    return WebhookView(org_id=org_id, vendor=row.vendor, masked_url=mask_url(row.url), active=row.active)


def save_webhook(session: Session, *, actor: Actor, org_id: int, vendor: str, url: str) -> WebhookView:
    """Set (or replace) the organisation's webhook after checking the address; audited without the address."""
    require(actor, P.LOWCODE_EDIT)
    org_in_scope(session, actor, org_id)
    clean = validate_url(vendor, url)
    row = session.exec(select(OrgWebhook).where(OrgWebhook.org_id == org_id)).first()
    row = row or OrgWebhook(org_id=org_id, vendor=vendor, url=clean)
    row.vendor, row.url, row.active, row.created_by = vendor, clean, True, actor.user_id
    session.add(row)
    session.flush()
    audit.record(
        session, action="webhook.save", actor_id=actor.user_id, entity="orgwebhook", entity_id=row.id, vendor=vendor
    )
    return WebhookView(org_id=org_id, vendor=vendor, masked_url=mask_url(clean), active=True)


def disable_webhook(session: Session, *, actor: Actor, org_id: int) -> bool:
    """Switch the organisation's webhook off (kept, so its sent messages stay explained); False if none was on."""
    require(actor, P.LOWCODE_EDIT)
    org_in_scope(session, actor, org_id)
    row = session.exec(select(OrgWebhook).where(OrgWebhook.org_id == org_id)).first()
    if row is None or not row.active:
        return False
    row.active = False
    session.add(row)
    audit.record(session, action="webhook.disable", actor_id=actor.user_id, entity="orgwebhook", entity_id=row.id)
    return True


def case_link(case_id: int | None) -> str:
    """The staff case page on PUBLIC_BASE_URL."""
    base = get_settings().public_base_url
    return f"{base}/case?case={case_id}" if case_id else f"{base}/inbox"


def message_text(*, key: str, case_no: str, case_id: int | None) -> str:
    """The robot's text: the event, the case number and a link; built from fixed texts only (no personal data)."""
    event = translate(f"webhook.event.{key}", "zh-CN")
    if event == f"webhook.event.{key}":
        event = translate("webhook.event.other", "zh-CN")
    text = translate("webhook.message", "zh-CN", event=event, case_no=case_no or "-", link=case_link(case_id))
    return text[:MAX_CONTENT]


def test_text() -> str:
    """The robot page's test message (fixed text with the platform's name, so DingTalk's keyword check passes)."""
    return translate("webhook.test_message", "zh-CN", link=case_link(None))[:MAX_CONTENT]


def payload(text: str) -> dict[str, Any]:
    """The vendor's JSON text message (WeCom and DingTalk share this shape)."""
    return {"msgtype": "text", "text": {"content": text}}


def post_message(url: str, body: dict[str, Any], *, timeout: float) -> SendResult:
    """POST the JSON; success is HTTP 2xx with errcode 0 (or no errcode)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(  # noqa: S310
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            raw = resp.read(4096)
    except urllib.error.HTTPError as err:
        return SendResult(False, f"http {err.code}")
    except (urllib.error.URLError, OSError, ValueError) as err:
        return SendResult(False, type(getattr(err, "reason", err)).__name__)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return SendResult(True, "")
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    return SendResult(code == 0, "" if code == 0 else f"errcode {code}")
