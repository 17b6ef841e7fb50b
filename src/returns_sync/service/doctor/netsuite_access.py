"""NetSuite preflight: the TBA login, the integration user's time zone and date format, the syncs' SuiteQL, RA approval.

Read-only: SuiteQL SELECTs and one record GET, nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.errors import ApiError, AuthenticationError
from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordRole
from returns_sync.service.doctor.check import Check, System
from returns_sync.tasks.netsuite_dates import SUITEQL_DATETIME_FORMAT
from returns_sync.tasks.suiteql_statements import StatementFields, statements_for

__all__ = ["check_login", "check_return_approval", "check_statements", "check_time_zone", "statement_fields"]

NS = System.NETSUITE
_APPROVAL_TOGGLE = "approve_return_authorizations"  # the StoreSettings field, named in the fix


def check_login(ns: NetSuiteClient, settings: StoreSettings) -> Check:
    """The token signs a request NetSuite accepts (the cheapest SuiteQL there is)."""
    name = "TBA login"
    account = settings.netsuite_credentials.account_id
    try:
        ns.suiteql_one("SELECT 1 AS ok FROM DUAL")
    except AuthenticationError as exc:
        return Check.failed(
            NS,
            name,
            f"NetSuite account {account} refused the token: {exc}",
            "Check the NetSuite credentials block: consumer key/secret from the integration record, token id/secret of the "
            "integration user's access token for this account, and a role with REST Web Services and SuiteAnalytics Workbook.",
        )
    except ApiError as exc:
        return Check.failed(NS, name, f"NetSuite account {account} did not answer: {exc}", "Check base_url and the account id.")
    return Check.passed(NS, name, f"account {account} accepted the token")


def check_time_zone(ns: NetSuiteClient, settings: StoreSettings) -> list[Check]:
    """Compare one record's last-modified time as SuiteQL shows it (raw and TO_CHAR) with its REST body (UTC).

    SuiteQL shows datetimes on the integration user's wall clock in the user's date format; REST record bodies are
    ISO 8601 UTC (Oracle, "Using Datetime Fields":
    https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157305090645.html). The difference is the
    offset the sync must apply to its windows, which ``netsuite_time_zone`` has to produce. Limit: the offsets are
    compared at that one instant, so two zones that agree then (say UTC and Europe/London in winter) pass alike.
    """
    row = ns.suiteql_one(
        "SELECT t.id, t.lastmodifieddate AS shown, "
        f"TO_CHAR(t.lastmodifieddate, '{SUITEQL_DATETIME_FORMAT}') AS wall_clock FROM transaction t "
        "WHERE t.type = 'SalesOrd' ORDER BY t.id DESC FETCH FIRST 1 ROWS ONLY"
    )
    if row is None:
        why = "no sales order to compare SuiteQL's dates with REST's"
        fix = "Run doctor again once the Shopify connector has synced an order."
        return [Check.warned(NS, "user date format", why, fix), Check.warned(NS, "user time zone", why, fix)]
    shown, wall_text = row.get("shown", ""), row.get("wall_clock", "")
    try:
        wall = datetime.strptime(wall_text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return [
            Check.failed(
                NS,
                "user date format",
                f"TO_CHAR(lastmodifieddate, '{SUITEQL_DATETIME_FORMAT}') answered {wall_text!r}",
                "The sync reads every date through this TO_CHAR; ask NetSuite support why the account does not honour it.",
            )
        ]
    format_check = Check.passed(
        NS,
        "user date format",
        f"SuiteQL shows {shown!r} for {wall_text}; the sync reads dates through TO_CHAR, so any format works",
    )
    body = ns.get_record("salesOrder", row["id"], expand_sub_resources=False, fields=["lastModifiedDate"])
    instant = datetime.fromisoformat(str(body["lastModifiedDate"]).replace("Z", "+00:00")).astimezone(UTC)
    user_offset = wall - instant.replace(tzinfo=None)
    zone = settings.netsuite_time_zone
    configured = ZoneInfo(zone).utcoffset(instant.replace(tzinfo=None)) or timedelta(0)
    seen = f"sales order {row['id']} changed at {instant:%Y-%m-%d %H:%M:%S} UTC; SuiteQL shows {wall_text}"
    if user_offset != configured:
        return [
            format_check,
            Check.failed(
                NS,
                "user time zone",
                f"{seen}: the user's clock is UTC{_offset(user_offset)}, but netsuite_time_zone {zone} is "
                f"UTC{_offset(configured)} then, so every window would be read {_hours(user_offset - configured)} off",
                f"Set the store's netsuite_time_zone to the integration user's Set Preferences > Time Zone "
                f"(a zone at UTC{_offset(user_offset)} on that date), or change the user's preference to {zone}.",
            ),
        ]
    return [
        format_check,
        Check.passed(
            NS,
            "user time zone",
            f"{seen}: UTC{_offset(user_offset)}, as netsuite_time_zone {zone}; windows are sent on that clock",
        ),
    ]


def _offset(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "−"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _hours(delta: timedelta) -> str:
    hours = abs(delta.total_seconds()) / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def statement_fields(settings: StoreSettings) -> StatementFields:
    """The store's field ids and subsidiary, as the syncs fill them into their statements."""
    return StatementFields(
        order_id_field=settings.so_shopify_order_id_field,
        sku_field=settings.sku_field,
        loop_id_field=settings.ra_loop_id_field,
        flag_field=settings.ra_flag_field,
        tracking_number_field=settings.ra_tracking_number_field,
        expected_date_field=settings.ra_expected_date_field,
        refund_id_field=settings.shopify_refund_id_field,
        subsidiary_id=settings.subsidiary_id,
        tax_engine=settings.netsuite_tax_engine,
    )


def check_statements(ns: NetSuiteClient, settings: StoreSettings) -> list[Check]:
    """Each statement the syncs send, with ``1 = 0`` as its match: NetSuite resolves every column and returns nothing."""
    fields = statement_fields(settings)
    checks = []
    for statement in statements_for(settings.netsuite_tax_engine):
        name = f"SuiteQL: {statement.name}"
        try:
            list(ns.suiteql(statement.probe(fields)))
        except ApiError as exc:
            checks.append(
                Check.failed(
                    NS,
                    name,
                    f"NetSuite refused it: {exc}",
                    "A field or record it names is missing or hidden from the token's role: fix the field id in the store "
                    "settings, create the field, or give the role access (see the custom-field rows).",
                )
            )
        else:
            checks.append(Check.passed(NS, name, "parses and runs (no rows asked for)"))
    return checks


def check_return_approval(ns: NetSuiteClient, settings: StoreSettings) -> Check:
    """Whether RAs need approval in this account, inferred from the store's own RAs, against the store's toggle.

    The preference itself (Setup > Accounting Preferences, return authorization approval) is readable through
    SuiteScript's ``N/config`` only, not through REST or SuiteQL, so the probe is indirect: an RA of this store
    waiting in status A (Pending Approval, ``RtnAuth:A``) means NetSuite held it for approval. It cannot tell before
    the store's first RA exists, nor if someone approves every RA by hand before doctor looks.
    """
    name = "RA approval"
    toggle = settings.approve_return_authorizations
    pattern = suiteql_list([ExternalId.like_pattern(settings.store, RecordRole.RA)])[1:-1]
    counts: dict[RaStatus, int] = {}
    for row in ns.suiteql(
        f"SELECT t.status, COUNT(*) AS n FROM transaction t WHERE t.type = 'RtnAuth' AND t.externalid LIKE {pattern} "
        "GROUP BY t.status ORDER BY t.status"
    ):
        status = RaStatus.parse(row["status"])
        counts[status] = counts.get(status, 0) + int(row["n"])
    pending = counts.get(RaStatus.PENDING_APPROVAL, 0)
    total = sum(counts.values())
    if toggle:
        return Check.passed(NS, name, f"{_APPROVAL_TOGGLE} is on: the sync approves each RA it creates")
    if pending:
        return Check.failed(
            NS,
            name,
            f"{pending} of this store's {total} RAs wait in Pending Approval, so NetSuite requires RA approval, "
            f"and {_APPROVAL_TOGGLE} is off: nothing can be received against them",
            f"Turn on {_APPROVAL_TOGGLE} in the store settings, or turn off return authorization approval in "
            "NetSuite's accounting preferences.",
        )
    if total == 0:
        return Check.warned(
            NS,
            name,
            "no RA of this store yet, so doctor cannot tell whether NetSuite requires approval",
            f"Run doctor again after the first sync; if RAs then sit in Pending Approval, turn on {_APPROVAL_TOGGLE}.",
        )
    return Check.passed(NS, name, f"none of this store's {total} RAs waits for approval; {_APPROVAL_TOGGLE} off fits")
