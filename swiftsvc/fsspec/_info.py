"""The info dicts of ``swift://`` paths, from listing entries and HEAD headers (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from swiftsvc.fsspec import _paths

# content types that mark an object as a folder (python-swiftclient's list)
DIRECTORY_TYPES = frozenset({"application/directory", "text/directory"})


def folder_info(name: str) -> dict[str, Any]:
    return {"name": name, "size": 0, "type": "directory"}


def container_info(item: Mapping[str, Any]) -> dict[str, Any]:
    return {**folder_info(str(item["name"])), "count": item.get("count", 0),
            "bytes": item.get("bytes", 0)}  # fmt: skip


def container_stat_info(container: str, headers: Mapping[str, str]) -> dict[str, Any]:
    return {**folder_info(container),
            "count": int(headers.get("x-container-object-count", 0) or 0),
            "bytes": int(headers.get("x-container-bytes-used", 0) or 0)}  # fmt: skip


def listing_info(container: str, item: Mapping[str, Any]) -> dict[str, Any]:
    name = _paths.join(container, str(item["name"]).rstrip("/"))
    if item.get("content_type") in DIRECTORY_TYPES:
        return {**folder_info(name), "marker": True}
    slo_etag = item.get("slo_etag")
    info: dict[str, Any] = {
        "name": name,
        "size": int(item.get("bytes", 0)),
        "type": "file",
        # an SLO's listing hash is its manifest's; its ETag is slo_etag
        "etag": str(slo_etag).strip('"') if slo_etag else item.get("hash"),
        "content_type": item.get("content_type"),
        "large_object": bool(slo_etag),
    }
    modified = item.get("last_modified")
    if modified:
        info["last_modified"] = datetime.fromisoformat(str(modified)).replace(
            tzinfo=UTC
        )
    return info


def head_info(name: str, headers: Mapping[str, str]) -> dict[str, Any]:
    if headers.get("content-type", "").split(";")[0] in DIRECTORY_TYPES:
        return {**folder_info(name), "marker": True}
    large = headers.get("x-static-large-object", "").lower() == "true" or bool(
        headers.get("x-object-manifest")
    )
    info: dict[str, Any] = {
        "name": name,
        "size": int(headers.get("content-length", 0) or 0),
        "type": "file",
        "etag": headers.get("etag", "").strip('"'),
        "content_type": headers.get("content-type"),
        "large_object": large,
    }
    if headers.get("last-modified"):
        info["last_modified"] = parsedate_to_datetime(headers["last-modified"])
    return info
