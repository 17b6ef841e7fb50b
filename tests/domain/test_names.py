"""The named types every layer shares: ExternalId (one spelling of our externalIds), SyncName, RecordRole."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_sync.domain.external_id import CREATED_ROLES, ExternalId
from returns_sync.domain.netsuite import RecordRole
from returns_sync.domain.plan import PlannedRecord
from returns_sync.domain.syncs import SyncName

# Written out here rather than imported, so the test does not share the rule it checks.
STORE_KEYS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True)
RETURN_IDS = st.one_of(st.integers(min_value=0, max_value=10**12).map(str), st.from_regex(r"[A-Za-z0-9_]{1,24}", fullmatch=True))


@st.composite
def external_ids(draw: st.DrawFn) -> ExternalId:
    role = draw(st.sampled_from(sorted(CREATED_ROLES)))
    receipt = draw(st.integers(min_value=1, max_value=999)) if role is RecordRole.IR else None
    return ExternalId(draw(STORE_KEYS), draw(RETURN_IDS), role, receipt)


class TestExternalIdFormat:
    @pytest.mark.parametrize(
        ("external_id", "text"),
        [
            (ExternalId("north", "7001", RecordRole.RA), "loop-north-7001-ra"),
            (ExternalId("north", "7001", RecordRole.IR, receipt=1), "loop-north-7001-ir-1"),
            (ExternalId("north", "7001", RecordRole.IR, receipt=12), "loop-north-7001-ir-12"),
            (ExternalId("north", "7001", RecordRole.CM), "loop-north-7001-cm"),
            (ExternalId("north", "7001", RecordRole.CR), "loop-north-7001-cr"),
            (ExternalId("north", "7001", RecordRole.CREF), "loop-north-7001-cref"),
            (ExternalId("north", "7001", RecordRole.DEP), "loop-north-7001-dep"),
            # Store keys may hold dashes, even ones that look like a suffix.
            (ExternalId("eu-ra", "7001", RecordRole.CM), "loop-eu-ra-7001-cm"),
            (ExternalId("shop-ir-2", "15", RecordRole.IR, receipt=3), "loop-shop-ir-2-15-ir-3"),
        ],
    )
    def test_written_and_read_back(self, external_id: ExternalId, text: str) -> None:
        assert str(external_id) == text
        assert ExternalId.parse(text) == external_id

    @given(external_ids())
    def test_parse_reads_back_whatever_str_writes(self, external_id: ExternalId) -> None:
        assert ExternalId.parse(str(external_id)) == external_id

    @given(STORE_KEYS.filter(lambda key: len(key) <= 30), RETURN_IDS)
    def test_ids_of_two_stores_never_collide(self, store: str, return_id: str) -> None:
        other = ExternalId(f"{store}-x", return_id, RecordRole.RA)
        assert ExternalId.parse(str(other)).store == f"{store}-x" != store

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "loop-north-7001",  # no suffix
            "loop-7001-ra",  # no store
            "loop-north--ra",  # empty return id
            "loop-north-7001-xx",  # unknown suffix
            "loop-north-7001-ir",  # receipt without its number
            "loop-north-7001-ir-0",
            "loop-north-7001-ir-01",  # one record, one spelling
            "loop-North-7001-ra",  # store keys are lowercase
            "loop-north-7001-close_ra",  # not a record we create
            "loop-north-7001-connector_refund",
            "shopify-1001-refund",  # the Shopify connector's own id
            "LOOP-north-7001-ra",
        ],
    )
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="not an externalId of returns-sync"):
            ExternalId.parse(text)
        assert ExternalId.parse_or_none(text) is None

    def test_parse_or_none_of_nothing(self) -> None:
        assert ExternalId.parse_or_none(None) is None

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"store": "north", "loop_return_id": "70-01", "role": RecordRole.RA}, "not a Loop return id"),
            ({"store": "-north", "loop_return_id": "7001", "role": RecordRole.RA}, "not a store key"),
            ({"store": "north_eu", "loop_return_id": "7001", "role": RecordRole.RA}, "not a store key"),
            ({"store": "north", "loop_return_id": "7001", "role": RecordRole.IR}, "needs its number"),
            ({"store": "north", "loop_return_id": "7001", "role": RecordRole.CM, "receipt": 1}, "only an item receipt"),
            ({"store": "north", "loop_return_id": "7001", "role": RecordRole.CLOSE_RA}, "has no externalId of ours"),
        ],
    )
    def test_an_id_that_could_not_be_read_back_is_never_built(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            ExternalId(**kwargs)

    def test_like_pattern_names_one_role_of_one_store(self) -> None:
        assert ExternalId.like_pattern("north", RecordRole.RA) == "loop-north-%-ra"

    def test_a_planned_record_carries_the_value_and_dumps_the_text(self) -> None:
        record = PlannedRecord(
            role=RecordRole.CM,
            record_type="creditMemo",
            external_id="loop-north-7001-cm",
            source=("returnAuthorization", None),
            memo="m",
            total="0.00",
        )
        assert record.external_id == ExternalId("north", "7001", RecordRole.CM)
        assert record.model_dump(mode="json")["external_id"] == "loop-north-7001-cm"
        assert PlannedRecord(**record.model_dump()) == record


class TestSyncName:
    def test_the_six_syncs_in_lifecycle_order_then_run_all(self) -> None:
        assert [str(s) for s in SyncName.syncs()] == [
            "ra_sync",
            "item_receipt_to_loop",
            "item_receipt_to_netsuite",
            "refund_sync",
            "return_cancellation",
            "ra_cancellation",
        ]
        assert list(SyncName)[-1] is SyncName.RUN_ALL

    def test_a_name_is_its_text_wherever_it_goes(self) -> None:
        assert f"{SyncName.RA_CANCELLATION}-north" == "ra_cancellation-north"
        assert SyncName("refund_sync") is SyncName.REFUND_SYNC
        assert SyncName.REFUND_SYNC == "refund_sync"


class TestRecordRole:
    def test_the_roles_we_create_are_the_suffixes(self) -> None:
        assert {str(r) for r in CREATED_ROLES} == {"ra", "ir", "cm", "cr", "cref", "dep", "pay", "fee", "depapp"}

    def test_one_enum_for_plan_ledger_and_connector_links(self) -> None:
        assert {str(r) for r in RecordRole} == {
            "ra",
            "ir",
            "cm",
            "cr",
            "cref",
            "dep",
            "pay",
            "fee",
            "depapp",
            "close_ra",
            "connector_refund",
        }
