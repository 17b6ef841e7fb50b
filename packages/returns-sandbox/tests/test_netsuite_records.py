"""The NetSuite emulator's record service over HTTP: GET shapes, lists with q, POST/PATCH/PUT/DELETE and error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import sample_world

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
REC = f"{BASE}/services/rest/record/v1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 10, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend(clock: Clock) -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend(clock=clock)
    backend.load_world(sample_world())
    yield backend
    backend.close()


@pytest.fixture
async def client(backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_netsuite_app(backend, auth_required=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"type", "title", "status", "o:errorDetails"}
    assert body["status"] == response.status_code
    assert response.headers["content-type"].startswith("application/vnd.oracle.resource+json; type=error")
    return body["o:errorDetails"][0]


def new_id(response: httpx.Response, record_type: str) -> int:
    assert response.status_code == 204, response.text
    location = response.headers["location"]
    assert location.startswith(f"{REC}/{record_type}/")
    return int(location.rsplit("/", 1)[1])


class TestGet:
    async def test_sales_order_shape(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/services/rest/record/v1/salesOrder/7001")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=singular"
        body = response.json()
        assert body["id"] == "7001"
        assert body["links"] == [{"rel": "self", "href": f"{REC}/salesOrder/7001"}]
        assert body["entity"] == {"id": "401", "refName": "Ann Lee", "links": [{"rel": "self", "href": f"{REC}/customer/401"}]}
        assert body["status"] == {"id": "G", "refName": "Billed"}
        assert body["orderStatus"] == {"id": "G", "refName": "Billed"}
        assert body["tranId"] == "SO1001"
        assert body["otherRefNum"] == "#1001"
        assert body["tranDate"] == "2024-05-01"
        assert body["createdDate"] == "2024-05-01T12:00:00Z"
        assert body["total"] == 178.2
        assert body["custbody_shopify_order_id"] == "1001"
        assert body["custbody_shopify_store"] == "north-outfitters.myshopify.com"
        assert body["currency"]["id"] == "1" and body["subsidiary"]["refName"] == "North Outfitters Inc."
        assert body["item"] == {"links": [{"rel": "self", "href": f"{REC}/salesOrder/7001/item"}]}

    async def test_expand_sub_resources_inlines_lines(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/services/rest/record/v1/salesOrder/7001", params={"expandSubResources": "true"})).json()
        sublist = body["item"]
        assert sublist["totalResults"] == 3 and sublist["count"] == 3 and sublist["hasMore"] is False
        shirt = sublist["items"][0]
        assert shirt["line"] == 1
        assert shirt["item"]["refName"] == "SHIRT-M-BLU"
        assert shirt["item"]["links"] == [{"rel": "self", "href": f"{REC}/inventoryItem/501"}]
        assert (shirt["quantity"], shirt["rate"], shirt["amount"], shirt["tax1Amt"]) == (2.0, 45.0, 90.0, 7.2)
        assert shirt["location"]["refName"] == "North Outfitters Warehouse"
        assert sublist["items"][2]["item"]["refName"] == "Shipping"

    async def test_fields_limits_the_body(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/services/rest/record/v1/salesOrder/7001", params={"fields": "tranId,status"})).json()
        assert set(body) == {"links", "id", "tranId", "status"}

    async def test_record_type_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/services/rest/record/v1/SALESORDER/7001")).json()
        assert body["links"][0]["href"] == f"{REC}/salesOrder/7001"

    async def test_sublist_sub_resource_and_one_line(self, client: httpx.AsyncClient) -> None:
        lines = (await client.get("/services/rest/record/v1/salesOrder/7001/item")).json()
        assert [line["line"] for line in lines["items"]] == [1, 2, 3]
        jacket = (await client.get("/services/rest/record/v1/salesOrder/7001/item/2")).json()
        assert jacket["item"]["refName"] == "JACKET-L"
        missing = await client.get("/services/rest/record/v1/salesOrder/7001/item/9")
        assert missing.status_code == 404

    async def test_get_by_external_id(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/services/rest/record/v1/salesOrder/eid:shopify-south-2001")).json()
        assert body["id"] == "7002"

    @pytest.mark.parametrize(
        "path",
        [
            "/services/rest/record/v1/salesOrder/999999",
            "/services/rest/record/v1/salesOrder/eid:nope",
            "/services/rest/record/v1/salesOrder/401",
            "/services/rest/record/v1/customer/abc",
        ],
    )
    async def test_missing_record(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "o:errorDetails": [
                {
                    "detail": "The record instance does not exist. Provide a valid record instance ID.",
                    "o:errorCode": "NONEXISTENT_ID",
                }
            ],
        }

    async def test_unknown_record_type(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/services/rest/record/v1/widget/1")
        assert response.status_code == 404
        assert error_of(response) == {"detail": "Record type 'widget' does not exist.", "o:errorCode": "NONEXISTENT_ID"}

    async def test_setup_records_are_readable(self, client: httpx.AsyncClient) -> None:
        location = (await client.get("/services/rest/record/v1/location/21")).json()
        assert location["name"] == "North Outfitters Damaged Goods"
        assert location["subsidiary"]["id"] == "1"


class TestList:
    async def test_paging(self, client: httpx.AsyncClient) -> None:
        first = (await client.get("/services/rest/record/v1/customer", params={"limit": 1})).json()
        assert first["count"] == 1 and first["hasMore"] is True and first["totalResults"] == 2 and first["offset"] == 0
        assert first["items"] == [{"links": [{"rel": "self", "href": f"{REC}/customer/401"}], "id": "401"}]
        rels = {link["rel"]: link["href"] for link in first["links"]}
        assert rels["next"] == f"{REC}/customer?limit=1&offset=1"
        assert "prev" not in rels and rels["last"] == f"{REC}/customer?limit=1&offset=1"
        second = (await client.get(rels["next"])).json()
        assert second["items"][0]["id"] == "402" and second["hasMore"] is False
        assert {link["rel"] for link in second["links"]} == {"self", "first", "prev", "last"}

    async def test_limit_above_1000_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/services/rest/record/v1/customer", params={"limit": 1001})
        assert response.status_code == 400
        assert error_of(response) == {
            "detail": "The value of the limit query parameter must be between 1 and 1000.",
            "o:errorCode": "INVALID_PARAMETER",
            "o:errorQueryParam": "limit",
        }

    @pytest.mark.parametrize(
        ("record_type", "q", "expected"),
        [
            ("salesOrder", 'otherRefNum IS "#1001"', ["7001"]),
            ("salesOrder", "externalId START_WITH shopify-south", ["7002"]),
            ("salesOrder", 'tranDate ON_OR_AFTER "5/1/2024"', ["7001", "7002"]),
            ("salesOrder", 'tranDate BEFORE "2024-05-01"', []),
            ("salesOrder", "entity ANY_OF 401, 402", ["7001", "7002"]),
            ("salesOrder", 'status ANY_OF G AND otherRefNum IS "#2001"', ["7002"]),
            ("salesOrder", 'otherRefNum IS "#1001" OR otherRefNum IS "#2001"', ["7001", "7002"]),
            ("salesOrder", "(entity EQUAL 401 OR entity EQUAL 402) AND total GREATER 178.2", []),
            ("salesOrder", "total BETWEEN 100 200", ["7001", "7002"]),
            ("salesOrder", 'otherRefNum IS_NOT "#1001"', ["7002"]),
            ("customer", "email CONTAIN ANN", ["401"]),
            ("customer", "companyName EMPTY", ["401", "402"]),
            ("customer", "email END_WITH example.com", ["401", "402"]),
            ("inventoryItem", "custitem_shopify_sku IS SHIRT-M-BLU", ["501"]),
            ("inventoryItem", "custitem_shopify_sku EMPTY", ["502"]),
        ],
    )
    async def test_q_filter(self, client: httpx.AsyncClient, record_type: str, q: str, expected: list[str]) -> None:
        response = await client.get(f"/services/rest/record/v1/{record_type}", params={"q": q})
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == expected

    @pytest.mark.parametrize(
        ("q", "detail"),
        [
            ("nope IS 1", "Search error occurred: Field 'nope' for record 'customer' was not found."),
            ("email LIKES x", "Search error occurred: Invalid search operator 'LIKES'."),
            ("email IS", "Unexpected end of the expression."),
        ],
    )
    async def test_bad_q(self, client: httpx.AsyncClient, q: str, detail: str) -> None:
        response = await client.get("/services/rest/record/v1/customer", params={"q": q})
        assert response.status_code == 400
        assert error_of(response) == {
            "detail": f"Invalid search query. Detailed unprocessed description follows. {detail}",
            "o:errorCode": "INVALID_PARAMETER",
            "o:errorQueryParam": "q",
        }


class TestCreate:
    async def test_post_customer_returns_204_and_location(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/services/rest/record/v1/customer",
            json={"firstName": "Cy", "lastName": "Doe", "email": "cy@example.com", "subsidiary": {"id": "2"}},
        )
        assert response.content == b""
        body = (await client.get(f"/services/rest/record/v1/customer/{new_id(response, 'customer')}")).json()
        assert body["entityId"] == "Cy Doe"
        assert body["currency"]["id"] == "2"
        assert body["dateCreated"] == "2024-05-10T09:00:00Z"

    async def test_post_sales_order_computes_totals(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/services/rest/record/v1/salesOrder",
            json={
                "entity": {"id": "401"},
                "location": {"id": "11"},
                "custbody_shopify_order_id": "55",
                "item": {
                    "items": [{"item": {"id": "501"}, "quantity": 3, "rate": 45, "taxCode": {"id": "1"}}, {"item": {"id": "502"}}]
                },
            },
        )
        body = (
            await client.get(
                f"/services/rest/record/v1/salesOrder/{new_id(response, 'salesOrder')}", params={"expandSubResources": "true"}
            )
        ).json()
        assert body["status"] == {"id": "B", "refName": "Pending Fulfillment"}
        assert body["total"] == 135 + 10.8 + 70  # the jacket line takes the item's base price
        assert body["tranId"] == "SO1002"
        assert body["currency"]["id"] == "1"  # from the customer
        assert body["custbody_shopify_order_id"] == "55"

    async def test_unknown_field_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/customer", json={"firstName": "Cy", "favouriteColour": "red"})
        assert response.status_code == 400
        assert error_of(response) == {
            "detail": "Invalid field name 'favouriteColour' for record type customer.",
            "o:errorCode": "NONEXISTENT_FIELD",
            "o:errorPath": "favouriteColour",
        }

    async def test_unknown_field_ignored_when_validation_is_relaxed(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/services/rest/record/v1/customer",
            json={"firstName": "Cy", "favouriteColour": "red"},
            headers={"X-NetSuite-PropertyNameValidation": "Ignore"},
        )
        assert response.status_code == 204

    async def test_custom_field_the_account_lacks(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/salesOrder", json={"entity": {"id": "401"}, "custbody_nope": "x"})
        assert error_of(response)["o:errorCode"] == "NONEXISTENT_FIELD"

    async def test_bad_body_reference(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/salesOrder", json={"entity": {"id": "99999"}})
        assert response.status_code == 400
        assert response.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": "Bad Request",
            "status": 400,
            "o:errorDetails": [
                {"detail": "Invalid customer reference key 99999.", "o:errorCode": "INVALID_KEY_OR_REF", "o:errorPath": "entity"}
            ],
        }

    async def test_bad_line_reference(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/services/rest/record/v1/salesOrder",
            json={"entity": {"id": 401}, "location": {"id": 11}, "item": {"items": [{"item": {"id": 9999}, "amount": 1}]}},
        )
        assert error_of(response) == {
            "detail": "Error while accessing resource: You have entered an Invalid Field Value 9999 for the following "
            "field: item",
            "o:errorCode": "INVALID_CONTENT",
            "o:errorPath": "item.items[0].item",
        }

    async def test_missing_customer(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/salesOrder", json={"memo": "x"})
        assert error_of(response) == {
            "detail": "Please enter value(s) for: Customer",
            "o:errorCode": "USER_ERROR",
            "o:errorPath": "entity",
        }

    async def test_read_only_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/salesOrder", json={"entity": {"id": 401}, "total": 5})
        assert error_of(response)["o:errorPath"] == "total"

    @pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
    async def test_bad_body(self, client: httpx.AsyncClient, content: bytes) -> None:
        response = await client.post(
            "/services/rest/record/v1/customer", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert error_of(response)["o:errorCode"] == "INVALID_CONTENT"

    async def test_duplicate_external_id(self, client: httpx.AsyncClient) -> None:
        body = {"firstName": "Cy", "externalId": "cust-cy"}
        assert (await client.post("/services/rest/record/v1/customer", json=body)).status_code == 204
        again = await client.post("/services/rest/record/v1/customer", json=body)
        assert again.status_code == 400
        # REST's answer (DUP_RCRD is SOAP's): a generic USER_ERROR that names neither the field nor the value.
        assert error_of(again) == {
            "detail": "Error while accessing a resource. This entity already exists.",
            "o:errorCode": "USER_ERROR",
        }

    async def test_a_transaction_addressed_under_another_type_is_a_400_not_a_404(self, client: httpx.AsyncClient) -> None:
        wrong = await client.get("/services/rest/record/v1/creditMemo/7001")  # 7001 is a sales order
        assert wrong.status_code == 400
        assert error_of(wrong) == {
            "detail": "Error while accessing a resource. Transaction type specified is incorrect.",
            "o:errorCode": "USER_ERROR",
        }
        assert (await client.get("/services/rest/record/v1/creditMemo/999999")).status_code == 404

    async def test_item_receipt_only_by_transform(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/itemReceipt", json={"memo": "x"})
        assert error_of(response)["o:errorCode"] == "USER_ERROR"

    async def test_setup_records_are_read_only(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/services/rest/record/v1/location", json={"name": "x"})
        assert response.status_code == 405
        assert error_of(response)["o:errorCode"] == "INVALID_OPERATION"

    async def test_items_get_default_accounts(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        response = await client.post(
            "/services/rest/record/v1/inventoryitem", json={"itemId": "HAT", "basePrice": 20, "averageCost": 8}
        )
        item = backend.get_record("inventoryItem", new_id(response, "inventoryItem"))
        assert item["assetAccount"] == backend.account_for("inventory")
        assert item["cogsAccount"] == backend.account_for("cogs")
        missing = await client.post("/services/rest/record/v1/otherChargeItem", json={"displayName": "x"})
        assert error_of(missing)["detail"] == "Please enter value(s) for: Item Name/Number"


class TestUpdate:
    async def test_patch_body_field_moves_last_modified(
        self, client: httpx.AsyncClient, backend: NetSuiteBackend, clock: Clock
    ) -> None:
        clock.now += timedelta(hours=1)
        response = await client.patch("/services/rest/record/v1/salesOrder/7001", json={"memo": "checked"})
        assert response.status_code == 204
        record = backend.get_record("salesOrder", 7001)
        assert record["memo"] == "checked"
        assert record["lastModifiedDate"] == "2024-05-10 10:00:00"
        row = backend.store.row('SELECT memo, lastmodifieddate FROM "transaction" WHERE id = 7001')
        assert tuple(row) == ("checked", "2024-05-10 10:00:00")

    async def _standalone_order(self, client: httpx.AsyncClient) -> int:
        response = await client.post(
            "/services/rest/record/v1/salesOrder",
            json={
                "entity": {"id": 401},
                "item": {
                    "items": [{"item": {"id": 501}, "quantity": 1, "rate": 10}, {"item": {"id": 502}, "quantity": 1, "rate": 20}]
                },
            },
        )
        return new_id(response, "salesOrder")

    async def test_patch_keyed_lines_merge_and_append(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        so = await self._standalone_order(client)
        response = await client.patch(
            f"/services/rest/record/v1/salesOrder/{so}",
            json={"item": {"items": [{"line": 2, "quantity": 2}, {"item": {"id": 606}, "rate": 5}]}},
        )
        assert response.status_code == 204
        lines = backend.get_record("salesOrder", so)["item"]
        assert [(x["line"], x["item"], x["amount"]) for x in lines] == [(1, 501, "10.00"), (2, 502, "40.00"), (3, 606, "5.00")]
        assert backend.get_record("salesOrder", so)["total"] == "55.00"

    async def test_patch_replace_item_drops_unmentioned_lines(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        so = await self._standalone_order(client)
        response = await client.patch(
            f"/services/rest/record/v1/salesOrder/{so}?replace=item", json={"item": {"items": [{"line": 2}]}}
        )
        assert response.status_code == 204
        assert [x["line"] for x in backend.get_record("salesOrder", so)["item"]] == [2]
        rows = backend.store.rows('SELECT id FROM transactionline WHERE "transaction" = ? ORDER BY id', (so,))
        assert [r["id"] for r in rows] == [0, 2]

    async def test_patch_unknown_line(self, client: httpx.AsyncClient) -> None:
        response = await client.patch(
            "/services/rest/record/v1/salesOrder/7001", json={"item": {"items": [{"line": 42, "memo": "x"}]}}
        )
        assert response.status_code == 400
        assert error_of(response)["o:errorCode"] == "NONEXISTENT_FIELD"  # 'memo' is not a line field
        response = await client.patch("/services/rest/record/v1/salesOrder/7001", json={"item": {"items": [{"line": 42}]}})
        assert error_of(response)["o:errorPath"] == "item.items[0].line"

    async def test_patch_by_external_id(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        response = await client.patch("/services/rest/record/v1/salesOrder/eid:shopify-north-1001", json={"memo": "via eid"})
        assert new_id(response, "salesOrder") == 7001
        assert backend.get_record("salesOrder", 7001)["memo"] == "via eid"

    async def test_put_external_id_upserts(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        created = await client.put("/services/rest/record/v1/customer/eid:cust-zed", json={"firstName": "Zed"})
        rid = new_id(created, "customer")
        assert backend.get_record("customer", rid)["externalId"] == "cust-zed"
        updated = await client.put("/services/rest/record/v1/customer/eid:cust-zed", json={"lastName": "Zulu"})
        assert new_id(updated, "customer") == rid
        assert backend.get_record("customer", rid)["lastName"] == "Zulu"
        mismatch = await client.put("/services/rest/record/v1/customer/eid:cust-zed", json={"externalId": "other"})
        assert error_of(mismatch)["o:errorPath"] == "externalId"

    async def test_put_needs_an_external_id(self, client: httpx.AsyncClient) -> None:
        response = await client.put("/services/rest/record/v1/customer/401", json={"firstName": "Ann"})
        assert error_of(response)["o:errorCode"] == "INVALID_PARAMETER"

    async def test_patch_external_id_to_a_taken_one(self, client: httpx.AsyncClient) -> None:
        response = await client.patch("/services/rest/record/v1/salesOrder/7001", json={"externalId": "shopify-north-1001"})
        assert response.status_code == 204
        taken = await client.post(
            "/services/rest/record/v1/salesOrder", json={"entity": {"id": 401}, "externalId": "shopify-south-2001"}
        )
        assert error_of(taken)["o:errorCode"] == "USER_ERROR"


class TestDelete:
    async def test_delete_then_gone(self, client: httpx.AsyncClient) -> None:
        rid = new_id(
            await client.post("/services/rest/record/v1/customer", json={"firstName": "Tmp", "externalId": "tmp"}), "customer"
        )
        assert (await client.delete("/services/rest/record/v1/customer/eid:tmp")).status_code == 204
        assert (await client.get(f"/services/rest/record/v1/customer/{rid}")).status_code == 404

    @pytest.mark.parametrize("path", ["salesOrder/7001", "customer/401", "inventoryItem/501"])
    async def test_delete_with_dependents_is_refused(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.delete(f"/services/rest/record/v1/{path}")
        assert response.status_code == 400
        assert error_of(response) == {
            "detail": "This record cannot be deleted because it has dependent records.",
            "o:errorCode": "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS",
        }

    async def test_unknown_route_and_method(self, client: httpx.AsyncClient) -> None:
        assert error_of(await client.get("/services/rest/nothing/here"))["o:errorCode"] == "NONEXISTENT_ID"
        response = await client.post("/services/rest/record/v1/salesOrder/7001", json={})
        assert response.status_code == 405
        assert error_of(response)["o:errorCode"] == "INVALID_OPERATION"
