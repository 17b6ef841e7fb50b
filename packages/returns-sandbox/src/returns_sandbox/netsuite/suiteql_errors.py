"""The errors the SuiteQL engine raises, worded as NetSuite words its "Invalid search query" answers."""

from __future__ import annotations

from returns_sandbox.netsuite.errors import NetSuiteError

__all__ = [
    "SEARCH_ERROR_PREFIX",
    "SuiteQLError",
    "ambiguous_identifier",
    "invalid_search",
    "unknown_field",
    "unknown_identifier",
    "unknown_record",
]

SEARCH_ERROR_PREFIX = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "


class SuiteQLError(NetSuiteError):
    """A SuiteQL query NetSuite refuses: 400 with ``o:errorCode`` ``code`` and ``detail`` text.

    It is a ``NetSuiteError``, so the HTTP layer can render it with ``body()`` like any other refusal.
    ``reason`` says in plain words what the emulator objected to (for logs; NetSuite's own text is terse).
    """

    def __init__(self, code: str, detail: str, status: int = 400, *, reason: str = "") -> None:
        super().__init__(status, code, detail)
        self.reason = reason or detail

    def __repr__(self) -> str:
        return f"SuiteQLError(code={self.code!r}, detail={self.detail!r}, reason={self.reason!r})"


def _search_error(text: str, reason: str = "") -> SuiteQLError:
    return SuiteQLError("INVALID_PARAMETER", SEARCH_ERROR_PREFIX + text, reason=reason or text)


def invalid_search(reason: str) -> SuiteQLError:
    """Syntax errors, statements other than SELECT and constructs SuiteQL (or this emulator) does not run."""
    return _search_error("Invalid or unsupported search.", reason)


def unknown_record(name: str) -> SuiteQLError:
    return _search_error(f"Record '{name}' was not found.")


def unknown_field(field: str, record: str) -> SuiteQLError:
    return _search_error(
        f"Field '{field}' for record '{record}' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH"
    )


def unknown_identifier(name: str) -> SuiteQLError:
    return _search_error(f"Unknown identifier '{name}'")


def ambiguous_identifier(name: str) -> SuiteQLError:
    return _search_error(f"Ambiguous identifier '{name}'")
