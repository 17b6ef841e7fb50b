"""The freshness run: its figures from a synthetic request log, and one tiny real run that measures every return.

No assertion here depends on how fast anything ran: the real run proves every return is measured for
both events and that each floor is a chain of that return's own requests inside its window.
"""

from __future__ import annotations

import json
import re

import pytest

from returns_bench.freshness import CLOSED, CREATED, FreshnessSpec, freshness_headline, run_freshness
from returns_bench.freshness_metrics import (
    RA_TRANSFORM,
    FreshnessSample,
    commit_request,
    first_request_naming,
    mentions,
    netsuite_load,
    percentile,
    sequential_chain,
    summarise_samples,
)
from returns_bench.request_kinds import netsuite_requests_by_kind
from returns_bench.request_log import RecordedRequest
from returns_sync.connectors.netsuite import SUITEQL_PATH
from returns_sync.tasks.suiteql_statements import (
    RECORDS_BY_EXTERNAL_ID,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    StatementFields,
)


def _request(api: str, method: str, path: str, start: float, end: float, body: str = "", status: int = 200) -> RecordedRequest:
    return RecordedRequest(api=api, method=method, path=path, query="", body=body, status=status, start=start, end=end)


RA_PATH = "/services/rest/record/v1/salesOrder/77/!transform/returnAuthorization"


class TestFigures:
    def test_the_commit_is_the_first_successful_transform_naming_the_return(self):
        log = [
            _request("netsuite", "POST", RA_PATH, 5.0, 5.4, '{"custbody_loop_return_id": "482"}', status=400),
            _request("netsuite", "POST", RA_PATH, 6.0, 6.4, '{"custbody_loop_return_id": "4821"}'),
            _request("netsuite", "POST", RA_PATH, 7.0, 7.4, '{"custbody_loop_return_id": "482"}'),
        ]
        assert commit_request(log, RA_TRANSFORM, body_token="482") is log[2]

    def test_ids_match_as_whole_words_only(self):
        request = _request("shopify", "POST", "/admin/api/graphql.json", 0, 1, '{"id": "gid://shopify/Order/5620"}')
        assert mentions(request, ["5620"])
        assert not mentions(request, ["562"])

    def test_the_floor_chains_the_returns_own_requests_one_after_another(self):
        commit = _request("netsuite", "POST", RA_PATH, 3.0, 3.5, '"482"')
        log = [
            _request("loop", "GET", "/api/v1/warehouse/return/details", 0.9, 1.1),  # before the delivery
            _request("loop", "GET", "/api/v1/warehouse/return/details", 1.0, 1.2, "return_id=482"),
            _request("netsuite", "POST", "/query/v1/suiteql", 1.3, 1.8, "WHERE id IN (77)"),
            _request("netsuite", "POST", "/query/v1/suiteql", 1.4, 2.0, "WHERE id IN (77, 78)"),  # overlaps the one above
            _request("netsuite", "POST", "/query/v1/suiteql", 2.1, 2.9, "WHERE id IN (99)"),  # another return's
            _request("netsuite", "POST", "/query/v1/suiteql", 2.2, 2.6, "custbody_loop_return_id = '482'"),
            commit,
        ]
        chain = sequential_chain(log, ["482", "77"], since=1.0, commit=commit)
        assert [(r.start, r.end) for r in chain] == [(1.0, 1.2), (1.4, 2.0), (2.2, 2.6), (3.0, 3.5)]
        assert sum(r.seconds for r in chain) == pytest.approx(0.2 + 0.6 + 0.4 + 0.5)

    def test_the_first_read_is_the_earliest_request_naming_the_return_after_the_delivery(self):
        log = [
            _request("loop", "GET", "/api/v1/warehouse/return/details", 0.5, 0.7, "return_id=482"),  # before the delivery
            _request("netsuite", "POST", "/query/v1/suiteql", 1.1, 1.5, "WHERE id IN (4821)"),  # another return
            _request("loop", "GET", "/api/v1/warehouse/return/details", 1.6, 1.8, "return_id=482"),
            _request("netsuite", "POST", "/query/v1/suiteql", 1.9, 2.3, "custbody_loop_return_id = '482'"),
        ]
        assert first_request_naming(log, "482", since=1.0) is log[2]
        assert first_request_naming(log, "482", since=2.0) is None
        samples = [
            FreshnessSample("482", CREATED, latency_s=2.5, floor_s=1.0, chain=(), to_first_read_s=0.6),
            FreshnessSample("483", CREATED, latency_s=2.5, floor_s=1.0, chain=(), to_first_read_s=None),  # not seen
        ]
        created = summarise_samples(samples, expected={CREATED: 2})[CREATED]
        assert (created["to_first_read_p50_s"], created["to_first_read_p95_s"]) == (0.6, 0.6)

    def test_percentiles_are_nearest_rank(self):
        values = [float(v) for v in range(1, 21)]
        assert (percentile(values, 50), percentile(values, 95), percentile([], 95)) == (10.0, 19.0, None)

    def test_the_goal_is_two_seconds_or_a_quarter_above_the_floor_whichever_is_larger(self):
        samples = [FreshnessSample(str(i), CREATED, latency_s=2.5, floor_s=1.0 + i, chain=()) for i in range(3)]
        figures = summarise_samples(samples, expected={CREATED: 4, CLOSED: 1})
        created = figures[CREATED]
        assert (created["measured"], created["expected"], created["floor_p95_s"], created["goal_p95_s"]) == (3, 4, 3.0, 3.75)
        assert created["meets_goal"] is True
        assert figures[CLOSED]["measured"] == 0 and figures[CLOSED]["meets_goal"] is None

    def test_the_offered_load_is_netsuites_seconds_per_return_at_the_rate_over_its_concurrency(self):
        log = [
            _request("netsuite", "POST", RA_PATH, 0.0, 0.4),
            _request("netsuite", "GET", "/query/v1/suiteql", 0.0, 0.6),
            _request("loop", "GET", "/api/v1/warehouse/return/list", 0.0, 5.0),  # not NetSuite: left out
        ]
        load = netsuite_load(log, returns=2, rate_per_s=4.0, concurrency=2)
        # 1.0 s of NetSuite for 2 returns = 0.5 s each; 4 a second ask for 2 s of NetSuite a second, of 2 allowed.
        assert load == {"requests_per_return": 1.0, "seconds_per_return": 0.5, "offered": 1.0}
        assert netsuite_load([], returns=0, rate_per_s=1.0, concurrency=5)["requests_per_return"] is None


@pytest.mark.slow
@pytest.mark.contract
def test_a_tiny_run_measures_every_return_for_both_events():
    result = run_freshness(FreshnessSpec(returns=2, rate_per_s=4.0, dispatch="warm", settle_timeout_s=240))

    for event in (CREATED, CLOSED):
        figures = result["events"][event]
        assert (figures["measured"], figures["expected"]) == (2, 2), event
        assert 0 < figures["floor_p95_s"] <= figures["latency_max_s"]
        for slow in figures["slowest"]:
            assert slow["floor_s"] <= slow["latency_s"]
            # The chain ends in the request that created the record: the RA, then the refund document.
            target = "returnAuthorization" if event == CREATED else "(cashRefund|creditMemo)"
            assert re.search(rf"^netsuite POST .*!transform/{target}$", slow["chain"][-1])
    headline = freshness_headline(result)
    assert headline["freshness_measured"] == headline["freshness_expected"] == 4
    assert headline["freshness_p95_s"] >= headline["freshness_p50_s"] > 0
    assert headline["freshness_floor_p95_s"] > 0
    assert result["netsuite_load"]["requests_per_return"] > 0
    assert "SuiteQL (other)" not in result["netsuite_by_kind"]  # every query the syncs sent is a registered statement
    assert sum(result["netsuite_by_kind"].values()) == pytest.approx(result["netsuite_load"]["requests_per_return"], abs=0.1)


class TestRequestKinds:
    """A NetSuite request is named by the registered statement whose text it is, with the store's own fields."""

    FIELDS = StatementFields(order_id_field="custbody_shopify_order_id", subsidiary_id=5)

    def _suiteql(self, query: str) -> RecordedRequest:
        return _request("netsuite", "POST", SUITEQL_PATH, 0.0, 0.4, body=json.dumps({"q": query, "limit": 1000}))

    def test_each_query_is_named_by_its_statement_and_each_rest_call_by_its_path(self):
        log = [
            self._suiteql(SALES_ORDER_HEADERS(self.FIELDS, "t.custbody_shopify_order_id IN ('5630000000063')")),
            self._suiteql(SALES_ORDER_LINES(self.FIELDS, "t.custbody_shopify_order_id IN ('5630000000063')")),
            self._suiteql(RECORDS_BY_EXTERNAL_ID(self.FIELDS, "t.externalid IN ('loop-north-1-cm')")),
            self._suiteql(RECORDS_BY_EXTERNAL_ID(self.FIELDS, "t.externalid IN ('loop-north-2-cm', 'loop-north-2-ir-1')")),
            self._suiteql("SELECT id FROM customer"),
            _request("netsuite", "POST", RA_PATH, 0.0, 0.4),
            _request("netsuite", "POST", "/services/rest/record/v1/customerRefund", 0.0, 0.4),
            _request("loop", "GET", "/api/v1/warehouse/return/list", 0.0, 0.1),  # not NetSuite: left out
        ]
        assert netsuite_requests_by_kind(log, returns=2, fields=[self.FIELDS]) == {
            f"SuiteQL: {RECORDS_BY_EXTERNAL_ID.name}": 1.0,
            f"SuiteQL: {SALES_ORDER_HEADERS.name}": 0.5,
            f"SuiteQL: {SALES_ORDER_LINES.name}": 0.5,
            "SuiteQL (other)": 0.5,
            "POST /salesOrder/{id}/!transform/returnAuthorization": 0.5,
            "POST /customerRefund": 0.5,
        }

    def test_another_stores_subsidiary_is_its_own_text(self):
        other_store = StatementFields(order_id_field="custbody_shopify_order_id", subsidiary_id=7)
        query = SALES_ORDER_HEADERS(other_store, "t.custbody_shopify_order_id IN ('1')")
        assert netsuite_requests_by_kind([self._suiteql(query)], returns=1, fields=[self.FIELDS]) == {"SuiteQL (other)": 1.0}
        assert netsuite_requests_by_kind([self._suiteql(query)], returns=1, fields=[self.FIELDS, other_store]) == {
            f"SuiteQL: {SALES_ORDER_HEADERS.name}": 1.0
        }
