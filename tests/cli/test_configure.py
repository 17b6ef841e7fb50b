"""``returns-sync configure`` against a temporary Prefect API: what it saves, which input wins, what it never prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, StoreSettings
from returns_sync.cli.app import app

pytestmark = [pytest.mark.flow]

# Distinctive, so any output can be searched for them.
SECRETS = {
    "RETURNS_SYNC_LOOP_API_KEY": "loop-key-SECRET-1",
    "RETURNS_SYNC_LOOP_WEBHOOK_SECRET": "loop-webhook-SECRET-2",
    "RETURNS_SYNC_NETSUITE_CONSUMER_KEY": "ns-ck-SECRET-3",
    "RETURNS_SYNC_NETSUITE_CONSUMER_SECRET": "ns-cs-SECRET-4",
    "RETURNS_SYNC_NETSUITE_TOKEN_ID": "ns-ti-SECRET-5",
    "RETURNS_SYNC_NETSUITE_TOKEN_SECRET": "ns-ts-SECRET-6",
    "RETURNS_SYNC_SHOPIFY_ACCESS_TOKEN": "shpat_SECRET7",
}
# Wide enough that Rich does not wrap a message in the middle of what a test looks for.
WIDE = {"COLUMNS": "250"}


def configure(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["configure", *args], env={**WIDE, **(env or {})})


def output_of(result: Result) -> str:
    return result.stdout + result.stderr


def complete(store: str) -> list[str]:
    """Flags for every required non-secret field of ``store``."""
    return ["--store", store, "--set", "netsuite.account_id=1234567_SB1", "--set", f"shop_domain={store}.myshopify.com",
            "--set", "main_location_id=1"]  # fmt: skip


def saved(store: str) -> dict[str, Any]:
    return StoreSettings.load_for_store(store).model_dump(context={"include_secrets": True})


def block_names() -> list[str]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [document.name for document in client.read_block_documents() if document.name]


def test_a_missing_required_field_is_named_with_where_to_set_it(prefect_api: None) -> None:
    result = configure("--store", "missing", "--set", "shop_domain=missing.myshopify.com", env=SECRETS)
    assert result.exit_code == 2
    assert "main_location_id is required: give it with --set main_location_id=…, the environment variable " \
        "RETURNS_SYNC_STORE_MAIN_LOCATION_ID or main_location_id in the TOML file" in result.stderr  # fmt: skip
    assert "netsuite.account_id is required" in result.stderr
    assert "store-missing" not in block_names()


def test_a_missing_secret_is_never_suggested_on_the_command_line(prefect_api: None) -> None:
    env = {name: value for name, value in SECRETS.items() if name != "RETURNS_SYNC_NETSUITE_TOKEN_SECRET"}
    result = configure(*complete("nosecret"), env=env)
    assert result.exit_code == 2
    assert "netsuite.token_secret is required: give it with the environment variable RETURNS_SYNC_NETSUITE_TOKEN_SECRET or " \
        "token_secret under [netsuite] in the TOML file" in result.stderr  # fmt: skip


def test_an_invalid_value_names_its_field(prefect_api: None) -> None:
    result = configure(*complete("badfield"), "--set", "sku_field=Custom SKU!", "--set", "sku_feild=x", env=SECRETS)
    assert result.exit_code == 2
    assert "unknown setting 'sku_feild' (did you mean sku_field?)" in result.stderr
    result = configure(*complete("badfield"), "--set", "sku_field=Custom SKU!", env=SECRETS)
    assert result.exit_code == 2
    assert "sku_field: 'custom sku!' is not a NetSuite field id" in result.stderr


def test_a_secret_on_the_command_line_is_refused(prefect_api: None) -> None:
    result = configure(*complete("flagsecret"), "--set", "netsuite.token_secret=ns-ts-SECRET-6", env=SECRETS)
    assert result.exit_code == 2
    assert "netsuite.token_secret is a secret and is not taken from the command line" in result.stderr
    assert "ns-ts-SECRET-6" not in output_of(result)


def test_saves_four_blocks_masks_every_secret_and_suggests_doctor(prefect_api: None) -> None:
    result = configure(*complete("secretive"), env=SECRETS)
    assert result.exit_code == 0, output_of(result)
    output = output_of(result)
    for secret in SECRETS.values():
        assert secret not in output
    assert "•••••• (secret)" in output
    assert "saved loop-secretive, netsuite-secretive, shopify-secretive, store-secretive to " in output
    assert "returns-sync doctor --store secretive" in output
    settings = saved("secretive")
    assert settings["netsuite_credentials"]["token_secret"] == "ns-ts-SECRET-6"
    assert settings["shopify_credentials"]["shop_domain"] == "secretive.myshopify.com"
    assert NetSuiteCredentials.load("netsuite-secretive").realm == "1234567_SB1"  # type: ignore[union-attr]


def test_running_twice_updates_the_same_blocks_and_keeps_what_it_is_not_given(prefect_api: None) -> None:
    assert configure(*complete("twice"), "--set", "sku_field=custitem_sku", env=SECRETS).exit_code == 0
    before = sorted(name for name in block_names() if name.endswith("twice"))
    rotated = {**SECRETS, "RETURNS_SYNC_LOOP_API_KEY": "loop-key-ROTATED"}
    # Only the rotated key and one setting: everything else comes from the block already saved.
    result = configure(
        "--store",
        "twice",
        "--set",
        "max_netsuite_concurrency=2",
        env={"RETURNS_SYNC_LOOP_API_KEY": rotated["RETURNS_SYNC_LOOP_API_KEY"]},
    )
    assert result.exit_code == 0, output_of(result)
    assert sorted(name for name in block_names() if name.endswith("twice")) == before == [
        "loop-twice", "netsuite-twice", "shopify-twice", "store-twice"
    ]  # fmt: skip
    settings = saved("twice")
    assert settings["loop_credentials"]["api_key"] == "loop-key-ROTATED"
    assert (settings["sku_field"], settings["max_netsuite_concurrency"], settings["main_location_id"]) == ("custitem_sku", 2, 1)
    assert LoopCredentials.load("loop-twice").model_dump(context={"include_secrets": True})["api_key"] == "loop-key-ROTATED"  # type: ignore[union-attr]


def test_flags_beat_environment_beat_the_toml_file(prefect_api: None, tmp_path: Path) -> None:
    toml = tmp_path / "north.toml"
    toml.write_text(
        'shop_domain = "layers.myshopify.com"\nmain_location_id = 1\ndamaged_location_id = 7\nsku_field = "custitem_from_file"\n'
        'max_netsuite_concurrency = 3\n\n[netsuite]\naccount_id = "1234567"\ntoken_secret = "file-token-secret"\n'
        '\n[loop]\napi_key = "file-loop-key"\n'
    )
    env = {**SECRETS, "RETURNS_SYNC_STORE_SKU_FIELD": "custitem_from_env", "RETURNS_SYNC_STORE_MAX_NETSUITE_CONCURRENCY": "6"}
    del env["RETURNS_SYNC_LOOP_API_KEY"]
    result = configure("--store", "layers", "--from-toml", str(toml), "--set", "max_netsuite_concurrency=9", env=env)
    assert result.exit_code == 0, output_of(result)
    settings = saved("layers")
    assert settings["sku_field"] == "custitem_from_env"  # env over file
    assert settings["max_netsuite_concurrency"] == 9  # flag over env and file
    assert settings["damaged_location_id"] == 7  # the file alone
    assert settings["netsuite_credentials"]["token_secret"] == "ns-ts-SECRET-6"  # env over file, for secrets too
    assert settings["loop_credentials"]["api_key"] == "file-loop-key"
    assert "file-loop-key" not in output_of(result)


def test_dry_run_validates_and_saves_nothing(prefect_api: None) -> None:
    result = configure(*complete("dryrun"), "--dry-run", env=SECRETS)
    assert result.exit_code == 0, output_of(result)
    assert "Nothing was saved (--dry-run)" in result.stdout
    assert not [name for name in block_names() if name.endswith("dryrun")]


@pytest.fixture
def sandbox_info_file(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    from returns_sandbox.testing import Sandbox

    sandbox = Sandbox()
    sandbox.seed_demo(seed=7, returns=4)
    sandbox.start()
    try:
        info = sandbox.connection_info()
        path = tmp_path / "sandbox.json"
        path.write_text(json.dumps(info))  # what `sandbox up --info-file` writes
        yield path, info
    finally:
        sandbox.close()


def test_from_sandbox_info_saves_what_the_sandbox_publishes(
    prefect_api: None, sandbox_info_file: tuple[Path, dict[str, Any]]
) -> None:
    from returns_sync.blocks.connection_info import store_settings_from_connection_info

    path, info = sandbox_info_file
    result = configure("--store", "north", "--from-sandbox-info", str(path), "--set", "max_netsuite_concurrency=2")
    assert result.exit_code == 0, output_of(result)
    expected = store_settings_from_connection_info(info, "north", max_netsuite_concurrency=2)
    loaded = StoreSettings.load_for_store("north")
    for block in ("loop_credentials", "netsuite_credentials", "shopify_credentials"):
        dumped = getattr(loaded, block).model_dump(context={"include_secrets": True})
        # A loaded block also carries the id and name of its block document: the settings refer to loop-north etc.
        assert dumped.pop("_block_document_name") == f"{block.split('_')[0]}-north"
        fields = {name: value for name, value in dumped.items() if not name.startswith("_")}
        assert fields == getattr(expected, block).model_dump(context={"include_secrets": True}), block
    top = set(StoreSettings.model_fields) - {"loop_credentials", "netsuite_credentials", "shopify_credentials"}
    assert {name: getattr(loaded, name) for name in top} == {name: getattr(expected, name) for name in top}
    assert info["stores"]["north"]["netsuite"]["token_secret"] not in output_of(result)
    missing = configure("--store", "nowhere", "--from-sandbox-info", str(path))
    assert missing.exit_code == 2 and "store 'nowhere' is not in the connection info" in missing.stderr
