"""The one generic list-and-form renderer of the admin: any AdminSpec becomes phone-sized cards (or a table),
a search box, filters, a record view with its related rows, and a form built from the spec.

Widget keys are `admin.<entity>.<widget>`. Stored text is escaped before markdown; services do every check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from pages.ui.org_tree_view import show_org_tree
from pages.ui.widgets import attempt, show_error
from services.access.authz import Actor
from services.admin import entities as admin
from services.admin import xlsx as xlsx_io
from services.admin.checks import check_specs
from services.admin.forms import Choices, FormInvalid, choices
from services.admin.specs import (
    REGISTRY,
    AdminSpec,
    field_default,
    field_kind,
    field_length,
    label_key,
    sortable,
)
from services.core import clock
from services.core.errors import DomainError, StorageProblem
from services.core.text import escape_markdown

T = TypeVar("T")
CARD_FIELDS = 8
OPTION_LIMIT = 300
DATE_MIN, DATE_MAX = date(1950, 1, 1), date(2100, 12, 31)


def md(value: Any) -> str:
    """Stored text made inert for st.markdown: every markdown character escaped, on one line."""
    return escape_markdown(str(value)).replace("\n", " ").replace("\r", " ")


@st.cache_resource(show_spinner=False)
def spec_problems() -> list[str]:
    """check_specs() once per process: a broken spec is refused with its ids instead of half rendering."""
    return check_specs()


def _k(spec: AdminSpec, widget: str) -> str:
    return f"admin.{spec.entity}.{widget}"


def _label(spec: AdminSpec, name: str) -> str:
    return t(label_key(spec.model, name))


def _read(fn: Callable[[Any], T]) -> T | None:
    def run() -> T:
        with get_db().read() as s:
            return fn(s)

    return attempt(run)


def go(spec: AdminSpec, view: int | str | None) -> None:
    """Switch between the list (None), a record (its id) and the new-record form ("new"); forget the form."""
    st.session_state[_k(spec, "view")] = view
    for key in [k for k in st.session_state if str(k).startswith((_k(spec, "field."), _k(spec, "find.")))]:
        del st.session_state[key]
    st.session_state.pop(_k(spec, "errors"), None)


def render_admin(actor: Actor, entity: str) -> None:
    """List, show, create and edit records of `entity` as its spec says."""
    spec = REGISTRY[entity]
    problems = [p for p in spec_problems() if f"'{entity}" in p]
    if problems:
        st.error(t("admin.spec_broken"), icon=":material/build:")
        for p in problems:
            st.text(p)
        return
    if flash := st.session_state.pop(_k(spec, "flash"), None):
        st.success(flash, icon=":material/check_circle:")
    view = st.session_state.get(_k(spec, "view"))
    if view == "new" and actor.can(spec.edit_permission):
        st.button(t("admin.back"), key=_k(spec, "back"), on_click=go, args=(spec, None), icon=":material/arrow_back:")
        st.subheader(t("admin.new_title", entity=t(spec.title_key)))
        _form(actor, spec, None)
    elif isinstance(view, int):
        _record(actor, spec, view)
    else:
        _list(actor, spec)


# --- the list ------------------------------------------------------------------------------------------


def _filter_widget(actor: Actor, spec: AdminSpec, name: str, lang: str) -> Any:
    key, label = _k(spec, f"filter.{name}"), _label(spec, name)
    kind = field_kind(spec, name)
    if kind == "int":
        return st.number_input(label, value=None, min_value=0, step=1, key=key, placeholder=t("admin.filter_any"))
    if kind == "bool":
        opts: list[Any] = [None, True, False]
        labels = {True: t("admin.yes"), False: t("admin.no")}
    else:
        found = _read(lambda s: choices(s, actor, spec, name, lang, limit=OPTION_LIMIT * 10))
        labels = dict(found.options) if found else {}
        opts = [None, *labels]
    return st.selectbox(
        label,
        opts,
        key=key,
        placeholder=t("admin.filter_any"),
        format_func=lambda v: t("admin.filter_any") if v is None else labels[v],
    )


def _query(actor: Actor, spec: AdminSpec, lang: str) -> admin.ListQuery:
    search = st.text_input(
        t("admin.search"),
        key=_k(spec, "search"),
        icon=":material/search:",
        placeholder=t("admin.search_placeholder", fields="、".join(_label(spec, f) for f in spec.search_fields)),
        label_visibility="collapsed",
    )
    active = sum(st.session_state.get(_k(spec, f"filter.{n}")) is not None for n in spec.list_filter)
    with st.expander(
        t("admin.filters_active", count=active) if active else t("admin.filters"), icon=":material/filter_list:"
    ):
        filters = {n: _filter_widget(actor, spec, n, lang) for n in spec.list_filter}
        orders = ["", *(o for n in sortable(spec) for o in (n, f"-{n}"))]
        order = st.selectbox(
            t("admin.order"),
            orders,
            key=_k(spec, "order"),
            format_func=lambda o: (
                t("admin.order_default")
                if not o
                else t("admin.order_desc" if o[0] == "-" else "admin.order_asc", field=_label(spec, o.lstrip("-")))
            ),
        )
    signature = repr((search, sorted(filters.items(), key=lambda kv: kv[0]), order))
    if st.session_state.get(_k(spec, "signature")) != signature:  # new search or filter: back to page 1
        st.session_state[_k(spec, "signature")] = signature
        st.session_state[_k(spec, "cursors")] = []
    cursors = st.session_state.get(_k(spec, "cursors")) or []
    return admin.ListQuery(
        search=search or "",
        filters={k: v for k, v in filters.items() if v is not None},
        order=order or "",
        after=cursors[-1] if cursors else None,
    )


def _actions(actor: Actor, spec: AdminSpec, query: admin.ListQuery, lang: str) -> None:
    def export() -> bytes:  # runs on the download click, on another thread: no st.* here
        with get_db().read() as s:
            return xlsx_io.export_xlsx(s, actor=actor, entity=spec.entity, query=query, lang=lang)

    row = st.container(horizontal=True)
    if actor.can(spec.edit_permission):
        row.button(
            t("admin.new"), key=_k(spec, "new"), on_click=go, args=(spec, "new"), icon=":material/add:", type="primary"
        )
    row.download_button(
        t("admin.export"),
        data=export,
        file_name=f"{spec.entity}-{clock.today():%Y%m%d}.xlsx",
        mime=xlsx_io.XLSX_MIME,
        key=_k(spec, "export"),
        on_click="ignore",
        icon=":material/download:",
        help=t("admin.export_help", limit=admin.EXPORT_LIMIT),
    )


def _card(spec: AdminSpec, row: admin.Row) -> None:
    with st.container(border=True, key=f"admin-{spec.entity}-card-{row.id}"):
        st.markdown(f"**{md(row.cells.get(spec.title_field, ''))}**")
        details = [(n, v) for n, v in row.cells.items() if n != spec.title_field and v not in ("", None)]
        if details:
            st.caption(" · ".join(f"{md(_label(spec, n))}：{md(v)}" for n, v in details[:CARD_FIELDS]))
        st.button(
            t("admin.open"),
            key=_k(spec, f"open.{row.id}"),
            on_click=go,
            args=(spec, row.id),
            icon=":material/chevron_right:",
            type="tertiary",
        )


def _table(spec: AdminSpec, page: admin.ListPage) -> None:
    data = [{_label(spec, n): row.cells.get(n, "") for n in spec.list_display} for row in page.rows]
    picked = st.dataframe(data, hide_index=True, on_select="rerun", selection_mode="single-row", key=_k(spec, "grid"))
    rows = picked.selection.rows if picked is not None else []
    if rows:
        go(spec, page.rows[rows[0]].id)
        st.rerun()


def _pager(spec: AdminSpec, page: admin.ListPage) -> None:
    """第 n 页 and 上一页 / 下一页: the cursor of each page before this one is kept, newest last (keyset paging)."""
    key = _k(spec, "cursors")
    cursors: list[Any] = st.session_state.get(key) or []
    words = "admin.count_capped" if page.capped else "admin.count"
    st.caption(t(words, total=f"{page.total:,}", page=len(cursors) + 1, pages=max(page.pages, len(cursors) + 1)))
    if not cursors and page.after is None:
        return
    row = st.container(horizontal=True)
    if row.button(t("admin.prev"), key=_k(spec, "prev"), disabled=not cursors, icon=":material/navigate_before:"):
        st.session_state[key] = cursors[:-1]
        st.rerun()
    if row.button(t("admin.next"), key=_k(spec, "next"), disabled=page.after is None, icon=":material/navigate_next:"):
        st.session_state[key] = [*cursors, page.after]
        st.rerun()


def _list(actor: Actor, spec: AdminSpec) -> None:
    lang = current_language()
    query = _query(actor, spec, lang)
    _actions(actor, spec, query, lang)
    if spec.entity == "organisation" and st.toggle(t("admin.org_tree"), value=True, key=_k(spec, "tree")):
        show_org_tree(actor, lambda org_id: go(spec, org_id))  # city → county → town → village, hosts and rooms
        return
    page = _read(lambda s: admin.list_rows(s, actor=actor, entity=spec.entity, query=query, lang=lang))
    if page is None:
        return
    if not page.rows:
        st.info(t("admin.empty"), icon=":material/search_off:")
        if st.session_state.get(_k(spec, "cursors")):  # past rows deleted since: still a way back
            _pager(spec, page)
        return
    if st.toggle(t("admin.table_view"), key=_k(spec, "table")):
        _table(spec, page)
    else:
        for row in page.rows:
            _card(spec, row)
    _pager(spec, page)


# --- one record and its form ---------------------------------------------------------------------------


def _record(actor: Actor, spec: AdminSpec, record_id: int) -> None:
    st.button(t("admin.back"), key=_k(spec, "back"), on_click=go, args=(spec, None), icon=":material/arrow_back:")
    rec = _read(
        lambda s: admin.get_record(s, actor=actor, entity=spec.entity, record_id=record_id, lang=current_language())
    )
    if rec is None:
        return
    st.subheader(md(rec.title) or "—")
    lines = [f"**{md(_label(spec, n))}**　{md(v)}" for n, v in rec.cells.items() if v not in ("", None)]
    st.markdown("  \n".join(lines))
    for inline in rec.inlines:
        with st.expander(f"{t(inline.title_key)}（{len(inline.rows)}）"):
            st.caption(" · ".join(md(t(label_key(inline.model, c))) for c in inline.columns))
            for r in inline.rows:
                st.markdown(" · ".join(md(v) if v not in ("", None) else "—" for v in r.values()))
            if not inline.rows:
                st.caption(t("admin.no_rows"))
    if rec.editable:
        st.subheader(t("admin.edit"))
        _form(actor, spec, rec)
    else:
        st.caption(t("admin.read_only"))


def _options(actor: Actor, spec: AdminSpec, names: tuple[str, ...], rec: admin.Record | None) -> dict[str, Choices]:
    """Options of every choice field; a long list gets a find box (outside the form) to narrow it."""
    lang, out = current_language(), {}
    for name in (n for n in names if field_kind(spec, n) in ("choice", "multi")):
        current = rec.values.get(name) if rec else None
        include = current if isinstance(current, list) else ([] if current is None else [current])
        find = st.session_state.get(_k(spec, f"find.{name}"), "")

        def options_of(s: Any, n: str = name, i: list[Any] = include, f: str = find) -> Choices:
            return choices(s, actor, spec, n, lang, search=f, include=i, limit=OPTION_LIMIT)

        found = _read(options_of)
        out[name] = found or Choices([], False)
        if out[name].truncated or find:
            st.text_input(
                t("admin.find", field=_label(spec, name)),
                key=_k(spec, f"find.{name}"),
                icon=":material/search:",
                help=t("admin.find_help", limit=OPTION_LIMIT),
            )
    return out


def _widget(actor: Actor, spec: AdminSpec, name: str, rec: admin.Record | None, options: Choices | None) -> Any:
    kind, key = field_kind(spec, name), _k(spec, f"field.{name}")
    label = _label(spec, name) + (" *" if name in spec.required else "")
    default = field_default(spec, name) if rec is None else None
    if rec is None and name == spec.scope_field and spec.scope == "org":
        default = actor.org_id
    current = rec.values.get(name) if rec else default
    if name in spec.masked_fields and rec is not None:
        shown = rec.cells.get(name) or "—"
        return st.text_input(label, key=key, placeholder=str(shown), help=t("admin.masked_keep", masked=shown))
    if kind == "password":
        return st.text_input(
            label,
            key=key,
            type="password",
            autocomplete="new-password",
            help=t("admin.password_keep" if rec else "admin.password_new"),
        )
    if kind in ("choice", "multi"):
        labels = dict(options.options if options else [])
        values = list(labels)
        if kind == "multi":
            return st.multiselect(
                label,
                values,
                default=[v for v in (current or []) if v in labels],
                key=key,
                format_func=lambda v: labels.get(v, str(v)),
                placeholder=t("admin.choose_many" if values else "admin.no_options"),
            )
        return st.selectbox(
            label,
            values,
            index=values.index(current) if current in labels else None,
            key=key,
            format_func=lambda v: labels.get(v, str(v)),
            placeholder=t("admin.choose" if values else "admin.no_options"),
        )
    if kind == "bool":
        return st.toggle(label, value=bool(current), key=key)
    if kind == "int":
        return st.number_input(label, value=int(current or 0), min_value=0, step=1, key=key)
    if kind == "float":
        return st.number_input(label, value=float(current or 0), min_value=0.0, step=0.5, key=key)
    if kind == "date":
        return st.date_input(label, value=current, min_value=DATE_MIN, max_value=DATE_MAX, key=key, format="YYYY-MM-DD")
    length = field_length(spec, name)
    if length is None or length > 200:
        return st.text_area(label, value=current or "", key=key, height="content")
    return st.text_input(label, value=current or "", key=key, max_chars=length)


def _form(actor: Actor, spec: AdminSpec, rec: admin.Record | None) -> None:
    names = spec.editable(creating=rec is None)
    options = _options(actor, spec, names, rec)
    errors: dict[str, tuple[str, dict[str, Any]]] = st.session_state.get(_k(spec, "errors"), {})
    if errors:
        st.error(t("admin.form_errors", count=len(errors)), icon=":material/error:")
    with st.form(_k(spec, "form"), border=True):
        data = {}
        for name in names:
            data[name] = _widget(actor, spec, name, rec, options.get(name))
            if name in errors:
                key, params = errors[name]
                st.caption(f":red[{md(t(key, **params))}]")
        submitted = st.form_submit_button(
            t("admin.create" if rec is None else "admin.save"), type="primary", width="stretch", icon=":material/save:"
        )
    if submitted:
        _submit(actor, spec, rec, data)


def _submit(actor: Actor, spec: AdminSpec, rec: admin.Record | None, data: dict[str, Any]) -> None:
    try:
        with get_db().write() as s:
            if rec is None:
                target: int = admin.create_record(s, actor=actor, entity=spec.entity, data=data)
                message = t("admin.created")
            else:
                changed = admin.update_record(s, actor=actor, entity=spec.entity, record_id=rec.id, data=data)
                target = rec.id
                message = (
                    t("admin.saved", fields="、".join(_label(spec, n) for n in changed))
                    if changed
                    else t("admin.unchanged")
                )
    except FormInvalid as err:
        st.session_state[_k(spec, "errors")] = err.errors
        st.rerun()
    except DomainError as err:
        show_error(err)
        return
    except OSError:
        show_error(StorageProblem())
        return
    go(spec, target)
    st.session_state[_k(spec, "flash")] = message
    st.rerun()
