"""The journal as an HTTP Archive, HAR 1.2 (W3C Web Performance draft,
http://www.softwareishard.com/blog/har-12-spec/): what a browser's
developer tools open ("Import HAR")."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import orjson

from scimdock import __version__


def archive(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "scimdock", "version": __version__},
            "entries": [_entry(e) for e in entries],
        }
    }


def _entry(e: dict[str, Any]) -> dict[str, Any]:
    request, response = e["request"], e["response"]
    sent = _text(request)
    answered = _text(response)
    status = e["status"] or 0
    request_har: dict[str, Any] = {
        "method": e["method"],
        "url": e["url"],
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(request["headers"]),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(e["query"])],
        "headersSize": -1,
        "bodySize": len(sent.encode()),
    }
    if sent:
        request_har["postData"] = {
            "mimeType": request["headers"].get("content-type", ""),
            "text": sent,
        }
    return {
        "startedDateTime": e["time"],
        "time": e["durationMs"],
        "request": request_har,
        "response": {
            "status": status,
            "statusText": _phrase(status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(response["headers"]),
            "content": {
                "size": len(answered.encode()),
                "mimeType": response["headers"].get("content-type", ""),
                "text": answered,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(answered.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": e["durationMs"], "receive": 0},
        "comment": f"seq {e['seq']}, request id {e['requestId']}"
        + (f", fault {orjson.dumps(e['fault']).decode()}" if e["fault"] else ""),
    }


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def _text(message: dict[str, Any]) -> str:
    if "bodyText" in message:
        return str(message["bodyText"])
    body = message.get("body")
    return "" if body is None else orjson.dumps(body).decode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
