"""The NetSuite emulator's SuiteQL engine: what it reads, how it translates, and how rows come back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from returns_sandbox.netsuite import schema
from returns_sandbox.netsuite.preferences import UserPreferences
from returns_sandbox.netsuite.suiteql import SuiteQLError, SuiteQLResult, render_value, run_suiteql, translate_suiteql

PREFIX = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "


def _insert(conn: sqlite3.Connection, table: str, **values: object) -> None:
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(values.values()))


def _line(conn: sqlite3.Connection, transaction: int, line: int, **values: object) -> None:
    _insert(
        conn,
        "transactionline",
        transaction=transaction,
        id=line,
        linesequencenumber=line,
        mainline="T" if line == 0 else "F",
        **values,
    )


def build_world(conn: sqlite3.Connection) -> None:
    """A sales order, an RA created from it (id 987, as in the reference's examples), its receipt and credit."""
    schema.create_schema(conn)
    schema.add_custom_field(conn, "custitem_loop_sku")
    schema.add_custom_field(conn, "custbody_loop_return_id")
    _insert(conn, "currency", id=1, symbol="USD", name="US Dollar")
    _insert(conn, "subsidiary", id=1, name="Parent Company", currency=1)
    _insert(conn, "location", id=1, name="Main Warehouse", subsidiary=1)
    _insert(conn, "location", id=2, name="Returns Dock", subsidiary=1)
    accounts = [
        (5, "1200", "1200 Inventory Asset", "OthCurrAsset"),
        (13, "5000", "5000 Cost of Goods Sold", "COGS"),
        (4, "1100", "1100 Accounts Receivable", "AcctRec"),
        (10, "4100", "4100 Sales Returns", "Income"),
    ]
    for account_id, number, name, kind in accounts:
        _insert(conn, "account", id=account_id, acctnumber=number, accountsearchdisplayname=name, accttype=kind)
    _insert(
        conn,
        "customer",
        id=1,
        entityid="CUS-1 Jane Doe",
        email="jane@example.com",
        externalid="shopify-cust-1",
        firstname="Jane",
        lastname="Doe",
        subsidiary=1,
        currency=1,
        _body='{"secret": "storage only"}',
    )
    _insert(conn, "customer", id=2, entityid="CUS-2 O'Brien Ltd", companyname="O'Brien; Ltd", subsidiary=1, currency=1)
    _insert(
        conn,
        "item",
        id=1,
        itemid="TSHIRT-RED-M",
        displayname="T-shirt red M",
        itemtype="InvtPart",
        baseprice=25,
        averagecost=10,
        _recordtype="inventoryItem",
        custitem_loop_sku="SKU-TS-RED-M",
    )
    _insert(
        conn,
        "item",
        id=2,
        itemid="HOODIE-BLK-L",
        displayname="Hoodie black L",
        itemtype="InvtPart",
        baseprice=48.6,
        averagecost=30,
        _recordtype="inventoryItem",
        custitem_loop_sku="SKU-HD-BLK-L",
    )
    _insert(
        conn, "item", id=3, itemid="hoodie-old", itemtype="InvtPart", baseprice=-45.0, isinactive="T", _recordtype="inventoryItem"
    )
    transactions = [
        dict(
            id=100,
            currency=1,
            tranid="SO1001",
            type="SalesOrd",
            status="F",
            entity=1,
            trandate="2024-04-20",
            location=1,
            createddate="2024-04-20 09:00:00",
            lastmodifieddate="2024-04-20 10:00:00",
            foreigntotal=98.6,
            _recordtype="salesOrder",
            otherrefnum="#1001",
        ),
        dict(
            id=987,
            tranid="RMA1001",
            type="RtnAuth",
            status="B",
            entity=1,
            externalid="loop-ra-12345",
            trandate="2024-05-01",
            createdfrom=100,
            createddate="2024-05-01 08:00:00",
            lastmodifieddate="2024-05-02 08:30:00",
            foreigntotal=48.6,
            _recordtype="returnAuthorization",
            custbody_loop_return_id="loop-12345",
            memo="Loop return 12345",
        ),
        dict(
            id=988,
            tranid="RMA1002",
            type="RtnAuth",
            status="H",
            entity=2,
            externalid="loop-ra-12346",
            trandate="2024-04-30",
            createdfrom=100,
            createddate="2024-04-30 08:00:00",
            lastmodifieddate="2024-04-30 23:59:59",
            foreigntotal=25,
            _recordtype="returnAuthorization",
            memo="loop return 12346",
        ),
        dict(
            id=1001,
            tranid="IR1",
            type="ItemRcpt",
            entity=1,
            trandate="2024-05-03",
            createdfrom=987,
            createddate="2024-05-03 09:00:00",
            lastmodifieddate="2024-05-03 09:00:00",
            _recordtype="itemReceipt",
        ),
        dict(
            id=1002,
            tranid="CM1",
            type="CustCred",
            status="A",
            entity=1,
            trandate="2024-05-04",
            createdfrom=987,
            createddate="2024-05-04 09:00:00",
            lastmodifieddate="2024-05-04 09:00:00",
            foreigntotal=48.6,
            _recordtype="creditMemo",
        ),
    ]
    for row in transactions:
        _insert(conn, "transaction", **row)
    _line(conn, 100, 0, netamount=-98.6, location=1, subsidiary=1)
    _line(conn, 100, 1, item=1, quantity=-2, rate=25, netamount=-50, location=1, quantityshiprecv=2)
    _line(conn, 100, 2, item=2, quantity=-1, rate=48.6, netamount=-48.6, location=1, quantityshiprecv=1)
    _line(conn, 987, 0, netamount=48.6, subsidiary=1)
    _line(conn, 987, 1, item=2, quantity=1, rate=48.6, netamount=48.6, location=2, createdfrom=100, orderline=2)
    _line(conn, 987, 2, item=None, quantity=None, netamount=0, taxline="T")
    _line(conn, 988, 0, netamount=25, subsidiary=1)
    _line(conn, 988, 1, item=1, quantity=1, rate=25, netamount=25, location=2, createdfrom=100, isclosed="T")
    _line(conn, 1001, 0, subsidiary=1)
    _line(conn, 1001, 1, item=2, quantity=1, location=2, createdfrom=987, orderline=1)
    _line(conn, 1002, 0, netamount=48.6, subsidiary=1)
    _line(conn, 1002, 1, item=2, quantity=1, rate=48.6, netamount=48.6, location=2, createdfrom=987)
    for txn, line, account, debit, credit in [
        (1001, 1, 5, 30, None),
        (1001, 1, 13, None, 30),
        (1002, 1, 10, 48.6, None),
        (1002, 0, 4, None, 48.6),
    ]:
        _insert(
            conn,
            "transactionaccountingline",
            transaction=txn,
            transactionline=line,
            account=account,
            debit=debit,
            credit=credit,
            amount=debit if debit is not None else -credit,
        )
    _insert(
        conn,
        "previoustransactionlinelink",
        previousdoc=100,
        previousline=2,
        nextdoc=987,
        nextline=1,
        linktype="RtnAuth",
        previoustype="SalesOrd",
        nexttype="RtnAuth",
    )
    _insert(
        conn,
        "previoustransactionlinelink",
        previousdoc=987,
        previousline=1,
        nextdoc=1001,
        nextline=1,
        linktype="ShipRcpt",
        previoustype="RtnAuth",
        nexttype="ItemRcpt",
    )
    conn.commit()


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    build_world(connection)
    yield connection
    connection.close()


def q(conn: sqlite3.Connection, query: str, *, limit: int = 1000, offset: int = 0) -> list[dict[str, str]]:
    return run_suiteql(conn, query, limit=limit, offset=offset).items


def refused(conn: sqlite3.Connection, query: str) -> SuiteQLError:
    with pytest.raises(SuiteQLError) as caught:
        run_suiteql(conn, query, limit=1000, offset=0)
    return caught.value


class TestReferenceExamples:
    """The four example queries of the reference (§4), verbatim."""

    def test_ra_by_loop_external_id(self, conn: sqlite3.Connection) -> None:
        items = q(
            conn,
            "SELECT id, tranid, status, BUILTIN.DF(status) AS status_text FROM transaction\n"
            "WHERE type = 'RtnAuth' AND externalid = 'loop-ra-12345'",
        )
        assert items == [
            {"id": "987", "tranid": "RMA1001", "status": "B", "status_text": "Return Authorization : Pending Receipt"}
        ]

    def test_ras_changed_since_a_watermark(self, conn: sqlite3.Connection) -> None:
        items = q(
            conn,
            "SELECT id, tranid, status, lastmodifieddate FROM transaction\n"
            "WHERE type = 'RtnAuth' AND lastmodifieddate >= TO_DATE('2024-05-01 00:00:00','YYYY-MM-DD HH24:MI:SS')\n"
            "ORDER BY lastmodifieddate, id",
        )
        # Raw datetimes come back in the user's format and time zone (default: M/D/YYYY h:mm a, Los Angeles).
        assert items == [{"id": "987", "tranid": "RMA1001", "status": "B", "lastmodifieddate": "5/2/2024 1:30 am"}]

    def test_receipts_and_credits_created_from_an_ra(self, conn: sqlite3.Connection) -> None:
        items = q(
            conn,
            "SELECT DISTINCT t.id, t.type, t.tranid FROM transaction t "
            "JOIN transactionline tl ON tl.transaction = t.id\n"
            "WHERE tl.createdfrom = 987 AND t.type IN ('ItemRcpt','CustCred','CashRfnd')",
        )
        assert sorted(items, key=lambda item: item["id"]) == [
            {"id": "1001", "type": "ItemRcpt", "tranid": "IR1"},
            {"id": "1002", "type": "CustCred", "tranid": "CM1"},
        ]

    def test_ra_lines(self, conn: sqlite3.Connection) -> None:
        items = q(
            conn,
            "SELECT tl.id, tl.item, BUILTIN.DF(tl.item) AS item_name, tl.quantity, tl.isclosed, tl.location\n"
            "FROM transactionline tl WHERE tl.transaction = 987 AND tl.mainline = 'F' AND tl.taxline = 'F'",
        )
        assert items == [{"id": "1", "item": "2", "item_name": "HOODIE-BLK-L", "quantity": "1", "isclosed": "F", "location": "2"}]


class TestSelectList:
    def test_reserved_transaction_is_quoted_in_sqlite(self, conn: sqlite3.Connection) -> None:
        plan = translate_suiteql(
            conn, "SELECT tl.transaction FROM transaction t JOIN transactionline tl ON tl.transaction = t.id"
        )
        assert plan.sql == (
            'SELECT "tl"."transaction" FROM "transaction" AS "t" JOIN "transactionline" AS "tl" ON "tl"."transaction" = "t"."id"'
        )
        assert plan.columns == ("transaction",)

    def test_star_expands_to_visible_columns_only(self, conn: sqlite3.Connection) -> None:
        plan = translate_suiteql(conn, "SELECT * FROM transactionline")
        assert plan.columns == tuple(schema.visible_columns(conn, "transactionline"))
        assert "uniquekey" not in plan.columns and "_body" not in plan.columns
        [customer] = q(conn, "SELECT * FROM customer WHERE id = 1")
        assert "_body" not in customer and "secret" not in str(customer)
        assert customer["entityid"] == "CUS-1 Jane Doe"

    def test_qualified_star_and_custom_field(self, conn: sqlite3.Connection) -> None:
        [item] = q(conn, "SELECT i.* FROM item i WHERE i.id = 2")
        assert item["custitem_loop_sku"] == "SKU-HD-BLK-L"
        assert "_recordtype" not in item
        items = q(
            conn,
            "SELECT l.name, t.* FROM transaction t JOIN transactionline ml ON ml.transaction = t.id "
            "AND ml.mainline = 'T' JOIN location l ON l.id = ml.location WHERE t.id = 100",
        )
        assert items[0]["name"] == "Main Warehouse" and "location" not in items[0] and "subsidiary" not in items[0]
        assert list(items[0])[:3] == ["name", "id", "tranid"]

    def test_aliases_with_and_without_as_are_lower_cased(self, conn: sqlite3.Connection) -> None:
        assert q(conn, 'SELECT id AS "RA_Id", tranid DocNumber, Memo FROM transaction WHERE id = 987') == [
            {"ra_id": "987", "docnumber": "RMA1001", "memo": "Loop return 12345"}
        ]

    def test_unnamed_expressions_are_expr_n(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT COUNT(*), id, UPPER(tranid), MAX(id) m FROM transaction WHERE id = 100 GROUP BY id, tranid") == [
            {"expr1": "1", "id": "100", "expr2": "SO1001", "m": "100"}
        ]

    def test_distinct(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT DISTINCT type FROM transaction ORDER BY type") == [
            {"type": "CustCred"},
            {"type": "ItemRcpt"},
            {"type": "RtnAuth"},
            {"type": "SalesOrd"},
        ]

    def test_identifiers_are_case_insensitive(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn, "SELECT T.ID, t.TranId FROM TRANSACTION T WHERE T.TYPE = 'RtnAuth' AND t.ExternalID = 'loop-ra-12345'"
        ) == [{"id": "987", "tranid": "RMA1001"}]

    def test_repeated_output_name_keeps_the_first_column(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT t.id, tl.id FROM transaction t JOIN transactionline tl ON tl.transaction = t.id "
            "WHERE t.id = 987 AND tl.id = 1",
        ) == [{"id": "987"}]

    def test_dual_and_arithmetic(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT 7 / 2 AS half, 3 * 4 - 1 AS n, 'a' || NULL || 'b' AS s FROM DUAL") == [
            {"half": "3.5", "n": "11", "s": "ab"}
        ]


class TestWhere:
    def ids(self, conn: sqlite3.Connection, where: str) -> list[str]:
        return [item["id"] for item in q(conn, f"SELECT id FROM transaction WHERE {where} ORDER BY id")]

    def test_and_or_not(self, conn: sqlite3.Connection) -> None:
        assert self.ids(conn, "type = 'RtnAuth' AND (status = 'H' OR entity = 1) AND NOT id = 988") == ["987"]
        assert self.ids(conn, "type = 'SalesOrd' OR type = 'ItemRcpt'") == ["100", "1001"]

    def test_in_and_not_in(self, conn: sqlite3.Connection) -> None:
        assert self.ids(conn, "type IN ('ItemRcpt', 'CustCred')") == ["1001", "1002"]
        assert self.ids(conn, "type NOT IN ('ItemRcpt', 'CustCred', 'RtnAuth')") == ["100"]
        assert self.ids(conn, "id IN (SELECT transaction FROM transactionline WHERE createdfrom = 987)") == ["1001", "1002"]

    def test_like_is_case_sensitive_as_in_oracle(self, conn: sqlite3.Connection) -> None:
        assert self.ids(conn, "memo LIKE 'Loop%'") == ["987"]
        assert self.ids(conn, "memo LIKE '%return 1234_'") == ["987", "988"]
        assert self.ids(conn, "memo NOT LIKE 'Loop%'") == ["988"]
        assert self.ids(conn, "UPPER(memo) LIKE 'LOOP%'") == ["987", "988"]

    def test_like_escape_and_glob_characters_are_literal(self, conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE \"transaction\" SET memo = 'a_b*[c]?' WHERE id = 100")
        assert self.ids(conn, "memo LIKE 'a!_b*[c]?' ESCAPE '!'") == ["100"]
        assert self.ids(conn, "memo LIKE 'a!_b*[c]' ESCAPE '!'") == []
        assert self.ids(conn, "memo LIKE 'axb%'") == []

    @pytest.mark.parametrize(
        ("condition", "expected"),
        [
            ("id = 987", ["987"]),
            ("id <> 987 AND type = 'RtnAuth'", ["988"]),
            ("id != 987 AND type = 'RtnAuth'", ["988"]),
            ("id < 987", ["100"]),
            ("id <= 987", ["100", "987"]),
            ("id > 988", ["1001", "1002"]),
            ("id >= 1002", ["1002"]),
            ("id BETWEEN 987 AND 1001", ["987", "988", "1001"]),
            ("id NOT BETWEEN 987 AND 1001", ["100", "1002"]),
            ("status IS NULL", ["1001"]),
            ("externalid IS NOT NULL", ["987", "988"]),
            ("foreigntotal > 48.5 AND foreigntotal < 48.7", ["987", "1002"]),
        ],
    )
    def test_comparisons(self, conn: sqlite3.Connection, condition: str, expected: list[str]) -> None:
        assert self.ids(conn, condition) == expected

    def test_quoted_literals_are_safe(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT id FROM customer WHERE companyname = 'O''Brien; Ltd'") == [{"id": "2"}]
        hostile = "x'); DROP TABLE customer; --"
        quoted = hostile.replace("'", "''")
        assert q(conn, f"SELECT id FROM customer WHERE email = '{quoted}' OR entityid = '{quoted}'") == []
        plan = translate_suiteql(conn, f"SELECT id FROM customer WHERE email = '{quoted}'")
        assert plan.sql.endswith("WHERE \"customer\".\"email\" = 'x''); DROP TABLE customer; --'")
        assert conn.execute("SELECT COUNT(*) FROM customer").fetchone() == (2,)

    def test_exists_and_correlated_subquery(self, conn: sqlite3.Connection) -> None:
        assert self.ids(
            conn,
            "type = 'RtnAuth' AND EXISTS (SELECT 1 FROM transactionline tl "
            "WHERE tl.createdfrom = transaction.id AND tl.mainline = 'F')",
        ) == ["987"]


class TestDates:
    def ids(self, conn: sqlite3.Connection, where: str) -> list[str]:
        return [item["id"] for item in q(conn, f"SELECT id FROM transaction WHERE {where} ORDER BY id")]

    def test_to_date_with_and_without_time(self, conn: sqlite3.Connection) -> None:
        assert self.ids(conn, "lastmodifieddate < TO_DATE('2024-05-01','YYYY-MM-DD')") == ["100", "988"]
        assert self.ids(
            conn,
            # 988 changed at 23:59:59 UTC, 16:59:59 in Los Angeles: literals are the user's wall clock.
            "lastmodifieddate >= TO_DATE('2024-04-30 16:59:59','YYYY-MM-DD HH24:MI:SS') "
            "AND lastmodifieddate < TO_DATE('05/03/2024','MM/DD/YYYY')",
        ) == ["987", "988"]

    def test_date_only_trandate_compares_as_midnight(self, conn: sqlite3.Connection) -> None:
        assert self.ids(conn, "trandate = TO_DATE('2024-05-01','YYYY-MM-DD')") == ["987"]
        assert self.ids(conn, "trandate BETWEEN TO_DATE('2024-04-30','YYYY-MM-DD') AND TO_DATE('2024-05-01','YYYY-MM-DD')") == [
            "987",
            "988",
        ]

    def test_sysdate(self, conn: sqlite3.Connection) -> None:
        assert len(self.ids(conn, "lastmodifieddate < SYSDATE")) == 5
        assert self.ids(conn, "lastmodifieddate > SYSDATE - 1") == []
        assert self.ids(conn, "trandate < TRUNC(SYSDATE)") != []

    def test_to_char(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT TO_CHAR(lastmodifieddate, 'YYYY-MM-DD') d, TO_CHAR(id) i, "
            "TO_CHAR(TO_DATE('2024-05-01','YYYY-MM-DD') + 1, 'YYYY/MM/DD HH24:MI') n "
            "FROM transaction WHERE id = 987",
        ) == [{"d": "2024-05-02", "i": "987", "n": "2024/05/02 00:00"}]

    def test_raw_dates_follow_the_users_preferences(self, conn: sqlite3.Connection) -> None:
        query = "SELECT t.trandate, t.lastmodifieddate AS changed, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS stamp FROM transaction t WHERE t.id = 988"
        assert q(conn, query) == [{"trandate": "4/30/2024", "changed": "4/30/2024 4:59 pm", "stamp": "2024-04-30 16:59:59"}]
        berlin = UserPreferences(time_zone="Europe/Berlin", date_format="DD.MM.YYYY HH:mm")
        assert run_suiteql(conn, query, limit=10, offset=0, preferences=berlin).items == [
            {"trandate": "30.04.2024", "changed": "01.05.2024 01:59", "stamp": "2024-05-01 01:59:59"}
        ]

    def test_a_window_in_the_users_zone_finds_what_changed_in_it(self, conn: sqlite3.Connection) -> None:
        utc = UserPreferences(time_zone="UTC")
        window = "lastmodifieddate >= TO_DATE('2024-05-02 08:30:00', 'YYYY-MM-DD HH24:MI:SS')"
        assert [i["id"] for i in run_suiteql(conn, f"SELECT id FROM transaction WHERE {window} AND id < 1000", limit=9, offset=0,
                                             preferences=utc).items] == ["987"]  # fmt: skip
        # The same UTC text read in Los Angeles is seven hours later: 987 is before it.
        assert self.ids(conn, f"{window} AND id < 1000") == []

    def test_bad_date_literal_is_refused(self, conn: sqlite3.Connection) -> None:
        error = refused(conn, "SELECT id FROM transaction WHERE trandate = TO_DATE('2024-13-01','YYYY-MM-DD')")
        assert (error.code, error.detail) == ("INVALID_PARAMETER", PREFIX + "Invalid or unsupported search.")


class TestFunctions:
    def test_string_functions(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT UPPER(firstname) u, LOWER(entityid) l, NVL(companyname, 'none') n, "
            "COALESCE(companyname, lastname, 'x') c, SUBSTR(entityid, 1, 5) s, SUBSTR(entityid, 7) r "
            "FROM customer WHERE id = 1",
        ) == [{"u": "JANE", "l": "cus-1 jane doe", "n": "none", "c": "Doe", "s": "CUS-1", "r": "Jane Doe"}]

    def test_case_and_decode(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT CASE WHEN quantity < 0 THEN 'out' ELSE 'in' END dir, DECODE(mainline, 'T', 'head', 'line') k "
            "FROM transactionline WHERE transaction = 100 ORDER BY id",
        ) == [{"dir": "in", "k": "head"}, {"dir": "out", "k": "line"}, {"dir": "out", "k": "line"}]


class TestBuiltinDF:
    def test_status_text_per_type(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT id, BUILTIN.DF(status) s FROM transaction ORDER BY id") == [
            {"id": "100", "s": "Sales Order : Pending Billing"},
            {"id": "987", "s": "Return Authorization : Pending Receipt"},
            {"id": "988", "s": "Return Authorization : Closed"},
            {"id": "1001"},
            {"id": "1002", "s": "Credit Memo : Open"},
        ]

    def test_a_currency_displays_as_its_name_and_its_iso_code_is_the_symbol(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT BUILTIN.DF(t.currency) AS shown, c.symbol AS iso FROM transaction t "
                       "JOIN currency c ON c.id = t.currency WHERE t.id = 100") == [{"shown": "US Dollar", "iso": "USD"}]  # fmt: skip

    def test_references_show_their_display_column(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT BUILTIN.DF(t.entity) AS customer, BUILTIN.DF(tl.createdfrom) AS source, "
            "BUILTIN.DF(tl.location) loc, BUILTIN.DF(tl.subsidiary) sub, BUILTIN.DF(t.type) AS type FROM transaction t "
            "JOIN transactionline tl ON tl.transaction = t.id AND tl.id = 1 WHERE t.id = 987",
        ) == [{"customer": "CUS-1 Jane Doe", "source": "SO1001", "loc": "Returns Dock", "type": "RtnAuth"}]
        assert q(
            conn,
            "SELECT BUILTIN.DF(a.account) name, a.debit FROM transactionaccountingline a "
            "WHERE a.transaction = 1001 ORDER BY a.account",
        ) == [{"name": "1200 Inventory Asset", "debit": "30"}, {"name": "5000 Cost of Goods Sold"}]

    def test_df_in_where_group_and_order(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT id FROM transaction WHERE BUILTIN.DF(status) = 'Return Authorization : Closed'") == [{"id": "988"}]
        assert q(conn, "SELECT BUILTIN.DF(entity) who, COUNT(*) n FROM transaction GROUP BY BUILTIN.DF(entity) ORDER BY who") == [
            {"who": "CUS-1 Jane Doe", "n": "4"},
            {"who": "CUS-2 O'Brien Ltd", "n": "1"},
        ]
        assert q(
            conn,
            "SELECT status, BUILTIN.DF(status) t, COUNT(*) n FROM transaction WHERE type = 'RtnAuth' "
            "GROUP BY status ORDER BY status",
        ) == [
            {"status": "B", "t": "Return Authorization : Pending Receipt", "n": "1"},
            {"status": "H", "t": "Return Authorization : Closed", "n": "1"},
        ]
        assert q(
            conn, "SELECT BUILTIN.DF(status), COUNT(*) FROM transaction WHERE type = 'RtnAuth' GROUP BY status ORDER BY 1"
        ) == [
            {"expr1": "Return Authorization : Closed", "expr2": "1"},
            {"expr1": "Return Authorization : Pending Receipt", "expr2": "1"},
        ]


class TestJoinsAndAggregates:
    def test_left_join_omits_missing_side(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT tl.id, i.itemid FROM transactionline tl LEFT JOIN item i ON i.id = tl.item "
            "WHERE tl.transaction = 987 ORDER BY tl.id",
        ) == [{"id": "0"}, {"id": "1", "itemid": "HOODIE-BLK-L"}, {"id": "2"}]

    def test_inner_join_three_tables_and_comma_join(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT t.tranid, l.name FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id "
            "INNER JOIN location l ON l.id = tl.location WHERE t.id = 1001",
        ) == [{"tranid": "IR1", "name": "Returns Dock"}]
        assert q(conn, "SELECT c.email FROM transaction t, customer c WHERE c.id = t.entity AND t.id = 987") == [
            {"email": "jane@example.com"}
        ]

    def test_aggregates_group_by_having(self, conn: sqlite3.Connection) -> None:
        assert q(
            conn,
            "SELECT type, COUNT(*) n, SUM(foreigntotal) total, MIN(id) lo, MAX(id) hi, AVG(foreigntotal) mean "
            "FROM transaction GROUP BY type HAVING COUNT(*) > 1 ORDER BY type",
        ) == [{"type": "RtnAuth", "n": "2", "total": "73.6", "lo": "987", "hi": "988", "mean": "36.8"}]
        assert q(conn, "SELECT SUM(netamount) s FROM transactionline WHERE transaction = 100 AND mainline = 'F'") == [
            {"s": "-98.6"}
        ]
        assert q(conn, "SELECT COUNT(DISTINCT entity) n FROM transaction") == [{"n": "2"}]

    def test_ungrouped_column_is_refused_like_oracle(self, conn: sqlite3.Connection) -> None:
        error = refused(conn, "SELECT type, tranid, COUNT(*) FROM transaction GROUP BY type")
        assert (error.code, error.detail) == ("INVALID_PARAMETER", PREFIX + "Invalid or unsupported search.")
        assert "GROUP BY" in error.reason

    def test_link_table_and_derived_table(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT nextdoc, linktype FROM previoustransactionlinelink WHERE previousdoc = 987") == [
            {"nextdoc": "1001", "linktype": "ShipRcpt"}
        ]
        assert q(
            conn, "SELECT x.type, x.expr1 FROM (SELECT type, COUNT(*) FROM transaction GROUP BY type) x WHERE x.expr1 = 2"
        ) == [{"type": "RtnAuth", "expr1": "2"}]

    def test_union(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT id FROM customer UNION SELECT id FROM location ORDER BY id DESC") == [{"id": "2"}, {"id": "1"}]
        assert q(conn, "SELECT itemid AS name FROM item WHERE id = 1 UNION ALL SELECT name FROM location ORDER BY 1") == [
            {"name": "Main Warehouse"},
            {"name": "Returns Dock"},
            {"name": "TSHIRT-RED-M"},
        ]


class TestOrderingAndPaging:
    def test_order_asc_desc_and_nulls(self, conn: sqlite3.Connection) -> None:
        assert [item.get("status") for item in q(conn, "SELECT id, status FROM transaction ORDER BY status")] == [
            "A",
            "B",
            "F",
            "H",
            None,
        ]
        assert [item.get("status") for item in q(conn, "SELECT id, status FROM transaction ORDER BY status DESC")] == [
            None,
            "H",
            "F",
            "B",
            "A",
        ]
        assert [item.get("status") for item in q(conn, "SELECT status FROM transaction ORDER BY status NULLS FIRST")] == [
            None,
            "A",
            "B",
            "F",
            "H",
        ]
        assert [item["id"] for item in q(conn, "SELECT id FROM transaction ORDER BY entity DESC, id DESC")] == [
            "988",
            "1002",
            "1001",
            "987",
            "100",
        ]

    def test_order_by_select_alias(self, conn: sqlite3.Connection) -> None:
        query = "SELECT BUILTIN.DF(status) s FROM transaction WHERE type = 'RtnAuth' ORDER BY s DESC"
        assert [item["s"] for item in q(conn, query)] == [
            "Return Authorization : Pending Receipt",
            "Return Authorization : Closed",
        ]

    def test_paging_keeps_the_total(self, conn: sqlite3.Connection) -> None:
        query = "SELECT id FROM transaction ORDER BY id"
        first = run_suiteql(conn, query, limit=2, offset=0)
        second = run_suiteql(conn, query, limit=2, offset=2)
        last = run_suiteql(conn, query, limit=2, offset=4)
        assert (first.total_results, second.total_results, last.total_results) == (5, 5, 5)
        assert [i["id"] for i in first.items + second.items + last.items] == ["100", "987", "988", "1001", "1002"]
        assert run_suiteql(conn, query, limit=2, offset=10) == SuiteQLResult(items=[], total_results=5)

    def test_fetch_first_top_and_rownum_cap_the_total(self, conn: sqlite3.Connection) -> None:
        for query in (
            "SELECT id FROM transaction ORDER BY id DESC FETCH FIRST 3 ROWS ONLY",
            "SELECT TOP 3 id FROM transaction ORDER BY id DESC",
            "SELECT id FROM transaction WHERE ROWNUM <= 3 ORDER BY id DESC",
        ):
            page = run_suiteql(conn, query, limit=2, offset=1)
            assert (page.total_results, page.items) == (3, [{"id": "1001"}, {"id": "988"}]), query
        query = "SELECT id FROM transaction ORDER BY id OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY"
        page = run_suiteql(conn, query, limit=10, offset=0)
        assert (page.total_results, page.items) == (2, [{"id": "987"}, {"id": "988"}])

    def test_works_whatever_the_connections_row_factory(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        assert q(conn, "SELECT id FROM customer ORDER BY id") == [{"id": "1"}, {"id": "2"}]


class TestValues:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (45, "45"),
            (-45, "-45"),
            (45.0, "45"),
            (-45.0, "-45"),
            (48.6, "48.6"),
            (0.1 + 0.2, "0.3"),
            (0.5, "0.5"),
            (1e-7, "0.0000001"),
            (1e20, "100000000000000000000"),
            (-0.0, "0"),
            ("T", "T"),
            (b"ab", "ab"),
            (None, None),
            ("", None),
        ],
    )
    def test_render(self, value: object, text: str | None) -> None:
        assert render_value(value) == text

    def test_numbers_come_back_as_netsuite_strings(self, conn: sqlite3.Connection) -> None:
        assert q(conn, "SELECT id, baseprice, averagecost FROM item ORDER BY id") == [
            {"id": "1", "baseprice": "25", "averagecost": "10"},
            {"id": "2", "baseprice": "48.6", "averagecost": "30"},
            {"id": "3", "baseprice": "-45"},
        ]


class TestListRecordsAreActiveOrNot:
    def test_account_has_isinactive_like_every_list_record(self, conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE account SET isinactive = 'T' WHERE id = (SELECT MIN(id) FROM account)")
        rows = q(conn, "SELECT a.id, a.isinactive FROM account a ORDER BY a.id")
        assert rows[0]["isinactive"] == "T" and {r["isinactive"] for r in rows[1:]} == {"F"}

    def test_a_database_made_before_account_isinactive_gains_it(self) -> None:
        old = sqlite3.connect(":memory:")
        old.execute(
            "CREATE TABLE account (id INTEGER PRIMARY KEY, acctnumber TEXT, accountsearchdisplayname TEXT NOT NULL, accttype TEXT NOT NULL)"
        )
        old.execute("INSERT INTO account VALUES (1, '1000', 'Cash', 'Bank')")
        schema.create_schema(old)
        assert q(old, "SELECT a.isinactive FROM account a") == [{"isinactive": "F"}]
