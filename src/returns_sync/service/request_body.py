"""Reading a request body under a size limit without ever holding more than the limit in memory.

Starlette's ``Request.body()`` joins every chunk the server hands over, however many there are
(https://www.starlette.io/requests/ "Body"); uvicorn puts no cap on a request body either. So the
limit is checked twice: against ``Content-Length`` before a byte is read, and chunk by chunk while
``Request.stream()`` yields, which also cuts off a chunked upload that declares no length.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["BodyTooLarge", "InvalidContentLength", "read_body_within"]


class BodyTooLarge(Exception):
    """The body is, or declares to be, longer than the limit."""


class InvalidContentLength(Exception):
    """``Content-Length`` is not a single non-negative decimal number."""


def _declared_length(request: Request) -> int | None:
    values = request.headers.getlist("content-length")
    if not values:
        return None
    # Two differing lengths, a sign or spaces inside: refuse rather than guess which one frames the body.
    if len(set(values)) != 1 or not values[0].strip().isdigit():
        raise InvalidContentLength(values[0][:32])
    return int(values[0].strip())


async def read_body_within(request: Request, limit: int) -> bytes:
    """The whole body, or ``BodyTooLarge`` as soon as it is known to exceed ``limit`` bytes.

    Raises:
        BodyTooLarge: ``Content-Length`` exceeds ``limit``, or the streamed bytes reach past it.
        InvalidContentLength: ``Content-Length`` is malformed.
    """
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLarge(f"Content-Length {declared} exceeds {limit}")
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise BodyTooLarge(f"body exceeds {limit} bytes")
        body += chunk
    return bytes(body)
