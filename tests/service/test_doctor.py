"""``returns-sync doctor`` against a running sandbox: a healthy store passes, and each planted misconfiguration fails its row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from returns_sandbox.netsuite.preferences import UserPreferences
from returns_sandbox.testing import Sandbox
from returns_sync.blocks.connection_info import store_settings_from_connection_info
from returns_sync.cli.app import app
from returns_sync.domain.tax import TaxEngine
from returns_sync.service.doctor import Check, Outcome, exit_code, run_doctor
from returns_sync.tasks.suiteql_statements import STATEMENTS, statements_for

STORE = "north"


def _started(preferences: UserPreferences | None = None, *, suitetax: bool = False) -> Sandbox:
    sandbox = Sandbox(netsuite_preferences=preferences, netsuite_suitetax=suitetax)
    sandbox.seed_demo(seed=7, returns=12)
    sandbox.start()
    return sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sandbox = _started()
    try:
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def info(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.connection_info()


def _doctor(info: dict[str, Any], **overrides: Any) -> list[Check]:
    return run_doctor(store_settings_from_connection_info(info, STORE, **overrides))


def _row(checks: list[Check], name: str) -> Check:
    matches = [check for check in checks if check.name == name]
    assert len(matches) == 1, f"expected one {name!r} row, got {[c.name for c in checks]}"
    return matches[0]


def _only_failures(checks: list[Check], *names: str) -> None:
    """Exactly the named rows fail, and the preflight's exit code is 1."""
    failed = sorted(check.name for check in checks if check.outcome is Outcome.FAIL)
    assert failed == sorted(names)
    assert exit_code(checks) == 1


def _create_ra(sandbox: Sandbox, info: dict[str, Any], *, status: str | None) -> int:
    """Someone (or the sync) created an RA of the store from one of its sales orders, in ``status``."""
    subsidiary = info["stores"][STORE]["netsuite"]["subsidiary_id"]
    so_id = sandbox.netsuite.conn.execute(
        'SELECT t.id FROM "transaction" t JOIN transactionline ml ON ml."transaction" = t.id AND ml.mainline = \'T\' '
        "WHERE t.type = 'SalesOrd' AND ml.subsidiary = ? ORDER BY t.id LIMIT 1",
        (subsidiary,),
    ).fetchone()[0]
    body: dict[str, Any] = {"externalId": f"loop-{STORE}-doctor{so_id}-ra"}
    if status is not None:
        body["orderStatus"] = status
    return sandbox.netsuite.transform_record("salesOrder", so_id, "returnAuthorization", body)


class TestHealthyStore:
    def test_a_fresh_store_passes_every_check(self, info: dict[str, Any]) -> None:
        checks = _doctor(info)  # north's sync approves its RAs, so approval is handled whatever the account says
        assert {c.outcome for c in checks} == {Outcome.PASS}, [c for c in checks if c.outcome is not Outcome.PASS]
        assert exit_code(checks) == 0

    def test_without_the_toggle_and_before_the_first_ra_approval_is_only_a_warning(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, approve_return_authorizations=False)
        assert [c.name for c in checks if c.outcome is not Outcome.PASS] == ["RA approval"]
        assert _row(checks, "RA approval").outcome is Outcome.WARN
        assert exit_code(checks) == 0

    def test_a_store_with_an_ra_passes_every_check(self, sandbox: Sandbox, info: dict[str, Any]) -> None:
        _create_ra(sandbox, info, status="B")
        checks = _doctor(info)
        assert {c.outcome for c in checks} == {Outcome.PASS}, [c for c in checks if c.outcome is not Outcome.PASS]
        assert len([c for c in checks if c.name.startswith("SuiteQL: ")]) == len(statements_for(TaxEngine.LEGACY)) == 13
        assert len(STATEMENTS) == 14  # and the SuiteTax rate read, which a legacy store never sends

    def test_a_suitetax_account_with_the_store_set_so_passes_every_check(self) -> None:
        sandbox = _started(suitetax=True)
        try:
            info = sandbox.connection_info()
            assert info["stores"][STORE]["settings"]["netsuite_tax_engine"] == "suitetax"
            checks = _doctor(info)
        finally:
            sandbox.close()
        assert {c.outcome for c in checks} == {Outcome.PASS}, [c for c in checks if c.outcome is not Outcome.PASS]
        assert "SuiteQL: sales order tax details (SuiteTax)" in {c.name for c in checks}

    def test_the_command_prints_the_table_and_exits_0(self, info: dict[str, Any], tmp_path: Path) -> None:
        path = tmp_path / "info.json"
        path.write_text(json.dumps(info))
        result = CliRunner().invoke(app, ["doctor", "--store", STORE, "--connection-info", str(path)], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert "TBA login" in result.output and "none failed" in result.output
        secrets = info["stores"][STORE]["netsuite"]["token_secret"], info["stores"][STORE]["loop"]["api_key"]
        assert not any(secret in result.output for secret in secrets)


class TestPlantedMisconfigurations:
    def test_wrong_token_secret_fails_login_and_skips_the_other_netsuite_checks(self, info: dict[str, Any]) -> None:
        info["stores"][STORE]["netsuite"]["token_secret"] = "not-the-secret"
        checks = _doctor(info)
        login = _row(checks, "TBA login")
        assert login.outcome is Outcome.FAIL and "token" in login.fix
        assert "not-the-secret" not in login.detail + login.fix
        skipped = [c for c in checks if c.outcome is Outcome.SKIPPED]
        assert skipped and all(c.detail == "skipped: NetSuite login failed" for c in skipped)
        _only_failures(checks, "TBA login")

    def test_time_zone_of_the_user_differs_from_the_store_setting(self) -> None:
        sandbox = _started(UserPreferences(time_zone="Europe/Berlin", date_format="DD.MM.YYYY HH:mm"))
        try:
            info = sandbox.connection_info()
            checks = _doctor(info, netsuite_time_zone="America/Los_Angeles")
        finally:
            sandbox.close()
        zone = _row(checks, "user time zone")
        assert zone.outcome is Outcome.FAIL
        assert "UTC+01:00" in zone.detail and "9 hours off" in zone.detail
        assert "netsuite_time_zone" in zone.fix
        assert _row(checks, "user date format").outcome is Outcome.PASS
        assert "." in _row(checks, "user date format").detail  # the user's DD.MM.YYYY shows through
        _only_failures(checks, "user time zone")

    def test_suitetax_account_with_the_store_set_to_legacy(self) -> None:
        sandbox = _started(suitetax=True)
        try:
            checks = _doctor(sandbox.connection_info(), netsuite_tax_engine=TaxEngine.LEGACY)
        finally:
            sandbox.close()
        row = _row(checks, "tax engine")
        assert "SuiteTax on" in row.detail and "quarantine" in row.detail
        assert row.fix == "Set netsuite_tax_engine to suitetax in the store's settings block."
        # The legacy statements still parse on the account (transactionline.taxcode stays, empty): only this row says it.
        _only_failures(checks, "tax engine")

    def test_legacy_account_with_the_store_set_to_suitetax(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, netsuite_tax_engine=TaxEngine.SUITETAX)
        assert _row(checks, "tax engine").fix == "Set netsuite_tax_engine to legacy in the store's settings block."
        # The SuiteTax statement is refused too: the table does not exist without the feature.
        _only_failures(checks, "tax engine", "SuiteQL: sales order tax details (SuiteTax)")

    def test_misspelled_custom_field(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, ra_loop_id_field="custbody_loop_retrun_id")
        field = _row(checks, "field ra_loop_id_field")
        assert field.outcome is Outcome.FAIL
        assert "custbody_loop_retrun_id" in field.detail and "ra_loop_id_field" in field.fix
        # The two statements that read RAs with their Loop id fail with it, and nothing else.
        failed = {c.name for c in checks if c.outcome is Outcome.FAIL}
        assert failed == {"field ra_loop_id_field", "SuiteQL: our RAs by externalId", "SuiteQL: our RAs changed in a window"}
        assert exit_code(checks) == 1

    def test_misspelled_tracking_number_field_fails_the_statements_that_read_it(self, info: dict[str, Any]) -> None:
        """The syncs read the label's tracking number with the RA (issue 13, item 5): doctor probes that same text."""
        checks = _doctor(info, ra_tracking_number_field="custbody_loop_trackng_number")
        failed = {c.name for c in checks if c.outcome is Outcome.FAIL}
        assert "SuiteQL: our RAs by externalId" in failed
        assert exit_code(checks) == 1

    def test_nonexistent_item(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, handling_fee_item=987654)
        item = _row(checks, "item handling_fee_item")
        assert "987654" in item.detail and "handling_fee_item" in item.fix
        _only_failures(checks, "item handling_fee_item")

    def test_inactive_item(self, sandbox: Sandbox, info: dict[str, Any]) -> None:
        item_id = info["netsuite"]["special_items"]["shipping"]
        (record_type,) = sandbox.netsuite.conn.execute("SELECT _recordtype FROM item WHERE id = ?", (item_id,)).fetchone()
        sandbox.netsuite.set_body_field(record_type, item_id, "isInactive", True)
        checks = _doctor(info)
        item = _row(checks, "item shipping_item")
        assert "inactive" in item.detail and "Reactivate" in item.fix and "shipping_item" in item.fix
        _only_failures(checks, "item shipping_item")

    def test_nonexistent_location(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, damaged_location_id=4242)
        location = _row(checks, "location damaged_location_id")
        assert "4242" in location.detail and "damaged_location_id" in location.fix
        _only_failures(checks, "location damaged_location_id")

    def test_nonexistent_account(self, info: dict[str, Any]) -> None:
        checks = _doctor(info, upsell_deposit_account=777777)
        account = _row(checks, "account upsell_deposit_account")
        assert "777777" in account.detail and "upsell_deposit_account" in account.fix
        _only_failures(checks, "account upsell_deposit_account")

    def test_ra_approval_on_with_the_toggle_off(self, sandbox: Sandbox, info: dict[str, Any]) -> None:
        # The seed's account requires approval for north's subsidiary: an RA created without a status waits.
        assert info["stores"][STORE]["netsuite"]["ra_approval_required"]
        ra_id = _create_ra(sandbox, info, status=None)
        assert sandbox.netsuite.is_pending_approval(ra_id)
        checks = _doctor(info, approve_return_authorizations=False)
        approval = _row(checks, "RA approval")
        assert "Pending Approval" in approval.detail and "approve_return_authorizations" in approval.fix
        _only_failures(checks, "RA approval")

    def test_wrong_loop_key(self, info: dict[str, Any], tmp_path: Path) -> None:
        info["stores"][STORE]["loop"]["api_key"] = "not-a-loop-key"
        path = tmp_path / "info.json"
        path.write_text(json.dumps(info))
        result = CliRunner().invoke(app, ["doctor", "--store", STORE, "--connection-info", str(path)], terminal_width=250)
        assert result.exit_code == 1, result.output
        assert "not-a-loop-key" not in result.output
        checks = _doctor(info)
        listing = _row(checks, "list returns")
        assert "Loop refused the key" in listing.detail and "Loop API key" in listing.fix
        assert _row(checks, "read return details").outcome is Outcome.SKIPPED
        _only_failures(checks, "list returns")

    def test_unsupported_shopify_version(self, info: dict[str, Any]) -> None:
        info["shopify"]["api_version"] = "2027-04"  # a version Shopify has not released
        checks = _doctor(info)
        version = _row(checks, "API version")
        assert "2027-04" in version.detail and "api_version" in version.fix
        assert _row(checks, "access scopes").outcome is Outcome.SKIPPED
        _only_failures(checks, "API version")

    def test_shopify_token_lacking_a_scope_we_use(self, sandbox: Sandbox, info: dict[str, Any]) -> None:
        token = info["stores"][STORE]["shopify"]["access_token"]
        sandbox.shopify.set_access(token, scopes=["read_orders", "write_orders", "read_inventory"])
        checks = _doctor(info)
        scopes = _row(checks, "access scopes")
        assert "read_products" in scopes.detail and "read_products" in scopes.fix
        _only_failures(checks, "access scopes")
