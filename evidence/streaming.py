"""Stored files as HTTP responses, whole or by one byte range (no ORM).

Every evidence file leaves through here: inline or as an attachment, with
``nosniff``, a sandboxing CSP, ``no-store`` and same-origin resource policy.
A ``Range`` request gets 206 with only those bytes, read in chunks from the
stored file after a seek (memory stays bounded whatever the file's size); an
unsatisfiable range gets 416. HEAD gets the headers without a body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from evidence.ranges import ByteRange, RangeNotSatisfiable, parse_range

CHUNK_BYTES = 256 * 1024


def _chunks(handle: IO[bytes], byte_range: ByteRange) -> Iterator[bytes]:
    try:
        handle.seek(byte_range.start)
        left = byte_range.length
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _protect(response: HttpResponse | StreamingHttpResponse) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"


def file_response(
    field: FieldFile,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool,
    request: HttpRequest | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The stored file, or the one byte range the request asks for (when a
    request is given: without one, ranges are not offered)."""
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    if request is None:
        response: HttpResponse | StreamingHttpResponse = FileResponse(
            handle,
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
        if not as_attachment:
            response["Content-Disposition"] = "inline"
        _protect(response)
        return response
    size = field.size
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        _protect(response)
        return response
    status = 200 if byte_range is None else 206
    byte_range = byte_range or ByteRange(0, size - 1)
    if request.method == "HEAD" or size == 0:
        handle.close()
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            _chunks(handle, byte_range), status=status, content_type=content_type
        )
    response["Content-Length"] = str(byte_range.length if size else 0)
    if status == 206:
        response["Content-Range"] = byte_range.content_range(size)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment, filename)
        if as_attachment
        else "inline"
    )
    _protect(response)
    return response


def is_first_read(request: HttpRequest) -> bool:
    """Whether a GET reads the file from its start (a download begins), not a
    later range of it: each download is written once to the custody log, not
    once per range a reader asks for."""
    if request.method != "GET":
        return False
    header = request.headers.get("Range")
    if not header:
        return True
    return header.replace(" ", "").lower().startswith("bytes=0-")
