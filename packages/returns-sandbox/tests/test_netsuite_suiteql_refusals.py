"""What the SuiteQL engine refuses, with NetSuite's code and text, and fuzzing that it never fails any other way."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns_sandbox.netsuite import schema
from returns_sandbox.netsuite.suiteql import SuiteQLError, SuiteQLResult, run_suiteql

PREFIX = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "
UNSUPPORTED = PREFIX + "Invalid or unsupported search."


def _world() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    schema.create_schema(conn)
    schema.add_custom_field(conn, "custbody_loop_return_id")
    conn.execute("INSERT INTO customer (id, entityid, email) VALUES (1, 'CUS-1', 'jane@example.com')")
    conn.execute("INSERT INTO customer (id, entityid, email) VALUES (2, 'CUS-2', NULL)")
    conn.execute("INSERT INTO item (id, itemid, itemtype, _recordtype) VALUES (1, 'SKU-1', 'InvtPart', 'inventoryItem')")
    conn.execute(
        'INSERT INTO "transaction" (id, tranid, type, status, entity, _recordtype, custbody_loop_return_id) '
        "VALUES (987, 'RMA1', 'RtnAuth', 'B', 1, 'returnAuthorization', 'loop-1')"
    )
    conn.execute(
        'INSERT INTO transactionline ("transaction", id, linesequencenumber, mainline, item, quantity) '
        "VALUES (987, 1, 1, 'F', 1, 2)"
    )
    conn.commit()
    return conn


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = _world()
    yield connection
    connection.close()


def refusal(conn: sqlite3.Connection, query: str) -> SuiteQLError:
    executed: list[str] = []
    conn.set_trace_callback(executed.append)
    try:
        with pytest.raises(SuiteQLError) as caught:
            run_suiteql(conn, query, limit=1000, offset=0)
    finally:
        conn.set_trace_callback(None)
    # Refused before anything ran (a failure SQLite reports is the only exception, and none of these are).
    assert executed == [] or all(sql.startswith("PRAGMA table_info") for sql in executed), executed
    assert caught.value.status == 400
    return caught.value


class TestOnlyOneSelect:
    @pytest.mark.parametrize(
        "query",
        [
            "DELETE FROM customer",
            "delete from customer where id = 1",
            "UPDATE customer SET email = 'x@example.com'",
            "INSERT INTO customer (id, entityid) VALUES (9, 'x')",
            "DROP TABLE customer",
            "CREATE TABLE evil (a INTEGER)",
            "ALTER TABLE customer ADD COLUMN evil TEXT",
            "PRAGMA table_info(customer)",
            "PRAGMA writable_schema = ON",
            "ATTACH DATABASE '/tmp/evil.db' AS evil",
            "DETACH DATABASE main",
            "VACUUM",
            "SELECT id FROM customer; DELETE FROM customer",
            "SELECT id FROM customer; SELECT id FROM item",
            "SELECT id INTO evil FROM customer",
            "WITH x AS (SELECT id FROM customer) SELECT id FROM x",
            "SELECT id FROM customer FOR UPDATE",
            "",
            "   ",
            ";",
            "-- just a comment",
            "SELECT",
            "SELECT id FROM",
            "SELECT 1",
            "BEGIN; DELETE FROM customer; COMMIT",
            "EXPLAIN SELECT id FROM customer",
        ],
    )
    def test_anything_but_one_select_is_refused_unrun(self, conn: sqlite3.Connection, query: str) -> None:
        error = refusal(conn, query)
        assert (error.code, error.detail) == ("INVALID_PARAMETER", UNSUPPORTED)
        assert conn.execute("SELECT COUNT(*) FROM customer WHERE email = 'jane@example.com'").fetchone() == (1,)
        assert {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} >= {"customer", "item"}

    @pytest.mark.parametrize(
        "query",
        [
            "SELECT id FROM customer WHERE id = ?",
            "SELECT id FROM customer WHERE id = :id",
            "SELECT load_extension('evil') FROM customer",
            "SELECT randomblob(1000000000) FROM customer",
            "SELECT sqlite_version() FROM customer",
            "SELECT BUILTIN.CF(id) FROM customer",
            "SELECT BUILTIN.DF(id, 1) FROM customer",
            'SELECT id AS "x"" FROM sqlite_master --" FROM customer',
            "SELECT id FROM customer WHERE ROWNUM > 1",
            "SELECT ROWNUM FROM customer",
            "SELECT id FROM main.customer",
            "SELECT c.id FROM customer c, item c",
            "SELECT id FROM customer ORDER BY id FETCH FIRST 50 PERCENT ROWS ONLY",
            "SELECT e.id FROM customer c, (SELECT id FROM item) e, transaction t WHERE t.id = c.id (+)",
            "SELECT TO_DATE(entityid, 'YYYY-MM-DD') FROM customer",
            "SELECT TO_CHAR(id, '999.99') FROM customer",
            "SELECT id FROM customer WHERE email LIKE 'a' ESCAPE 'ab'",
            "SELECT entityid, COUNT(*) FROM customer",
            "SELECT BUILTIN.DF(entity), COUNT(*) FROM transaction GROUP BY type",
            "SELECT type, status, COUNT(*) FROM transaction GROUP BY type",
        ],
    )
    def test_unsupported_constructs(self, conn: sqlite3.Connection, query: str) -> None:
        error = refusal(conn, query)
        assert (error.code, error.detail) == ("INVALID_PARAMETER", UNSUPPORTED)
        assert error.reason and error.reason != error.detail


class TestUnknownNames:
    @pytest.mark.parametrize(
        ("query", "text"),
        [
            ("SELECT id FROM foo", "Record 'foo' was not found."),
            ("SELECT id FROM Salesorder", "Record 'Salesorder' was not found."),
            ("SELECT name FROM sqlite_master", "Record 'sqlite_master' was not found."),
            ("SELECT t.id FROM transaction t JOIN foo f ON f.id = t.id", "Record 'foo' was not found."),
            (
                "SELECT t.foo FROM transaction t",
                "Field 'foo' for record 'transaction' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT transaction.balance FROM transaction",
                "Field 'balance' for record 'transaction' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT id FROM customer c WHERE c.Balance > 0",
                "Field 'Balance' for record 'customer' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            ("SELECT id, balance FROM customer", "Unknown identifier 'balance'"),
            ("SELECT x.id FROM transaction t", "Unknown identifier 'x.id'"),
            ("SELECT s.nope FROM (SELECT id FROM customer) s", "Unknown identifier 's.nope'"),
            ("SELECT id FROM transaction t JOIN transactionline tl ON tl.transaction = t.id", "Ambiguous identifier 'id'"),
            (
                "SELECT t.custbody_not_created FROM transaction t",
                "Field 'custbody_not_created' for record 'transaction' was not found. "
                "Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
        ],
    )
    def test_unknown_table_or_column(self, conn: sqlite3.Connection, query: str, text: str) -> None:
        error = refusal(conn, query)
        assert (error.code, error.detail) == ("INVALID_PARAMETER", PREFIX + text)

    @pytest.mark.parametrize(
        ("query", "text"),
        [
            (
                "SELECT t._body FROM transaction t",
                "Field '_body' for record 'transaction' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT c._body FROM customer c WHERE c.id = 1",
                "Field '_body' for record 'customer' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT i.id FROM item i WHERE i._recordtype = 'inventoryItem'",
                "Field '_recordtype' for record 'item' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT tl.uniquekey FROM transactionline tl",
                "Field 'uniquekey' for record 'transactionline' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            ("SELECT uniquekey FROM transactionline", "Unknown identifier 'uniquekey'"),
            ("SELECT id FROM customer ORDER BY _body", "Unknown identifier '_body'"),
        ],
    )
    def test_hidden_storage_columns_do_not_exist(self, conn: sqlite3.Connection, query: str, text: str) -> None:
        error = refusal(conn, query)
        assert (error.code, error.detail) == ("INVALID_PARAMETER", PREFIX + text)

    @pytest.mark.parametrize(
        ("query", "text"),
        [
            (
                "SELECT t.location FROM transaction t",
                "Field 'location' for record 'transaction' was not found. Reason: REMOVED - Field is removed",
            ),
            (
                "SELECT t.id FROM transaction t WHERE t.subsidiary = 1",
                "Field 'subsidiary' for record 'transaction' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH",
            ),
            (
                "SELECT BUILTIN.DF(t.createdfrom) FROM transaction t",
                "Field 'createdfrom' for record 'transaction' was not found. Reason: REMOVED - Field is removed",
            ),
            ("SELECT location FROM transaction", "Unknown identifier 'location'"),
        ],
    )
    def test_header_facts_are_not_transaction_columns(self, conn: sqlite3.Connection, query: str, text: str) -> None:
        """Location and subsidiary are read from the main line, createdfrom from the item lines (docs/sandbox/FIDELITY.md)."""
        error = refusal(conn, query)
        assert (error.code, error.detail) == ("INVALID_PARAMETER", PREFIX + text)

    def test_star_does_not_bring_back_unexposed_columns(self, conn: sqlite3.Connection) -> None:
        [row] = run_suiteql(conn, "SELECT * FROM transaction", limit=10, offset=0).items
        assert not {"location", "subsidiary", "createdfrom"} & set(row)

    def test_a_custom_field_appears_once_added(self, conn: sqlite3.Connection) -> None:
        error = refusal(conn, "SELECT custitem_color FROM item")
        assert error.detail == PREFIX + "Unknown identifier 'custitem_color'"
        schema.add_custom_field(conn, "custitem_color")
        conn.execute("UPDATE item SET custitem_color = 'red'")
        assert run_suiteql(conn, "SELECT custitem_color FROM item", limit=10, offset=0).items == [{"custitem_color": "red"}]

    def test_only_schema_tables_are_visible(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE _idempotency (key TEXT)")
        error = refusal(conn, "SELECT key FROM _idempotency")
        assert error.detail == PREFIX + "Record '_idempotency' was not found."


class TestPagingArguments:
    def test_negative_limit_or_offset(self, conn: sqlite3.Connection) -> None:
        for limit, offset in ((-1, 0), (10, -1)):
            with pytest.raises(SuiteQLError) as caught:
                run_suiteql(conn, "SELECT id FROM customer", limit=limit, offset=offset)
            assert caught.value.code == "INVALID_PARAMETER"


# Words that make the token soup reach past the parser into name resolution and translation.
_TOKENS = [
    "SELECT",
    "DISTINCT",
    "*",
    "t.*",
    "FROM",
    "transaction",
    "transactionline",
    "customer",
    "item",
    "t",
    "tl",
    "c",
    "AS",
    "JOIN",
    "LEFT",
    "INNER",
    "ON",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ESCAPE",
    "BETWEEN",
    "IS",
    "NULL",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "/",
    "||",
    "(",
    ")",
    ",",
    ";",
    "GROUP BY",
    "HAVING",
    "ORDER BY",
    "ASC",
    "DESC",
    "NULLS FIRST",
    "FETCH FIRST 2 ROWS ONLY",
    "UNION",
    "ROWNUM",
    "id",
    "t.id",
    "tl.transaction",
    "tl.item",
    "status",
    "t.status",
    "type",
    "entity",
    "c.email",
    "_body",
    "uniquekey",
    "'RtnAuth'",
    "'a''b;'",
    "'%x_'",
    "0",
    "1",
    "987",
    "48.6",
    "-1",
    "COUNT(*)",
    "COUNT(",
    "SUM(",
    "MAX(",
    "UPPER(",
    "NVL(",
    "SUBSTR(",
    "TO_CHAR(",
    "TO_DATE(",
    "'YYYY-MM-DD'",
    "'2024-05-01'",
    "SYSDATE",
    "TRUNC(",
    "BUILTIN.DF(",
    "BUILTIN.DF(t.status)",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DECODE(",
    "EXISTS",
    "DUAL",
    "DELETE",
    "DROP TABLE customer",
    "PRAGMA",
    "?",
    ":x",
    '"Q"',
    "--",
    "/*",
    "*/",
]


def _outcome(conn: sqlite3.Connection, query: str) -> None:
    try:
        result = run_suiteql(conn, query, limit=5, offset=0)
    except SuiteQLError as exc:
        assert exc.code == "INVALID_PARAMETER" and exc.detail.startswith(PREFIX)
    else:
        assert isinstance(result, SuiteQLResult)
        assert all(isinstance(value, str) and value for item in result.items for value in item.values())
        assert result.total_results >= len(result.items)


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class TestFuzz:
    @_FUZZ
    @given(query=st.text(max_size=200))
    def test_random_text_only_raises_suiteql_error(self, conn: sqlite3.Connection, query: str) -> None:
        _outcome(conn, query)

    @_FUZZ
    @given(tokens=st.lists(st.sampled_from(_TOKENS), max_size=24))
    def test_token_soup_only_raises_suiteql_error(self, conn: sqlite3.Connection, tokens: list[str]) -> None:
        _outcome(conn, "SELECT " + " ".join(tokens))
        assert conn.execute("SELECT COUNT(*) FROM customer").fetchone() == (2,)

    @_FUZZ
    @given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1))
    def test_any_inlined_string_value_round_trips(self, conn: sqlite3.Connection, value: str) -> None:
        conn.execute("UPDATE customer SET email = ? WHERE id = 2", (value,))
        literal = "'" + value.replace("'", "''") + "'"
        result = run_suiteql(conn, f"SELECT id, email FROM customer WHERE email = {literal} AND id = 2", limit=5, offset=0)
        assert result.items == [{"id": "2", "email": value}]
