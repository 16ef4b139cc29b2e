"""The ``stat`` and ``list`` text: aligned ``Label: value`` lines, listing rows,
the size column and the totals line, as the ``swift`` command prints them (pure)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# ------------------------------------------------------------------- sizes


def prt_bytes(count: int | float | str, human: bool) -> str:
    """The ``swift`` command's size column: 12 wide, or ``ls -lh`` style."""
    if not human:
        return f"{count:>12}"
    number = float(count)
    suffix = ""
    for suffix in ("", "K", "M", "G", "T", "P", "E", "Z", "Y"):
        if number <= 1023 or suffix == "Y":
            break
        number /= 1024.0
    if not suffix:
        return f"{count:>4}"
    if number >= 10:
        return f"{int(number):3d}{suffix}"
    return f"{number:.1f}{suffix}"


# -------------------------------------------------------------------- stat

_SIZE_LABELS = ("Objects", "Bytes", "Content Length", "Quota Bytes")
# headers the stat items already show, or that say nothing about the item
# (as swift stat: an account or container shows its Content-Type and
# Last-Modified, an object has them among its items)
_STAT_SHOWN_ELSEWHERE = frozenset({"content-length", "date", "connection"})
_STAT_EXCLUDED = {
    "stat_account": _STAT_SHOWN_ELSEWHERE
    | {"x-account-container-count", "x-account-object-count", "x-account-bytes-used"},
    "stat_container": _STAT_SHOWN_ELSEWHERE
    | {"x-container-object-count", "x-container-bytes-used", "x-container-read"}
    | {"x-container-write", "x-container-sync-to", "x-container-sync-key"},
    "stat_object": _STAT_SHOWN_ELSEWHERE
    | {"content-type", "last-modified", "etag", "x-object-manifest"},
}
_META_PREFIXES = ("x-account-meta-", "x-container-meta-", "x-object-meta-")


def stat_lines(result: Mapping[str, Any], *, human: bool = False) -> list[str]:
    """The aligned ``Label: value`` lines of a stat result, like ``swift stat``.

    The result's ``items`` come first; response headers the items do not
    already show follow (metadata as ``Meta Name``, the rest by name). An
    empty value leaves no trailing space (``Read ACL:``).
    """
    items: list[tuple[str, Any]] = [(str(k), v) for k, v in result.get("items") or ()]
    shown = {label.lower() for label, _ in items}
    headers: Mapping[str, str] = result.get("headers") or {}
    excluded = _STAT_EXCLUDED.get(str(result.get("action")), _STAT_EXCLUDED["stat_object"])
    meta: list[tuple[str, Any]] = []
    other: list[tuple[str, Any]] = []
    for name, value in headers.items():
        lower = name.lower()
        if lower in excluded or lower.startswith("x-account-storage-policy-"):
            continue
        prefix = next((p for p in _META_PREFIXES if lower.startswith(p)), None)
        if prefix is not None:
            label = "Meta " + name[len(prefix) :].title()
            target = meta
        else:
            label = name.title()
            target = other
        if label.lower() not in shown:
            target.append((label, value))
    items += meta + other
    if human:
        items = [(label, _humanized(label, value)) for label, value in items]
    is_object = result.get("action") == "stat_object"
    if is_object:  # swift leaves out empty object fields (e.g. no Manifest)
        items = [(label, value) for label, value in items if value not in (None, "")]
    if not items:
        return []
    width = max(14, *(len(label) for label, _ in items))
    return [
        f"{label:>{width}}: {'' if value is None else value}".rstrip() for label, value in items
    ]


def _humanized(label: str, value: Any) -> Any:
    if label.startswith(_SIZE_LABELS) and str(value).isdigit():
        return prt_bytes(int(value), True).strip()
    return value


# ----------------------------------------------------------------- listing


@dataclass(slots=True)
class Totals:
    """Running sums of a long listing, for its last line."""

    count: int = 0
    bytes: int = 0


def listing_lines(
    result: Mapping[str, Any],
    *,
    long: bool,
    human: bool,
    totals: Totals,
    only_totals: bool = False,
    versions: bool = False,
) -> list[str]:
    """Lines for one listing page, as ``swift list`` prints them.

    Plain: one name (or pseudo-directory) a line. Long: for containers
    ``count bytes date policy name``, for objects ``bytes date time
    content-type name``; ``totals`` accumulates either way.
    """
    lines: list[str] = []
    listing: Sequence[Mapping[str, Any]] = result.get("listing") or ()
    of_containers = result.get("action") == "list_account_part" or not result.get("container")
    for item in listing:
        name = item.get("name", item.get("subdir", ""))
        if not (long or human or versions):
            lines.append(str(name))
            continue
        if of_containers:
            count = int(item.get("count") or 0)
            size = int(item.get("bytes") or 0)
            totals.count += count
            totals.bytes += size
            meta: Mapping[str, Any] = item.get("meta") or {}
            try:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(meta["x-timestamp"])))
            except (KeyError, TypeError, ValueError):
                stamp = "????-??-?? ??:??:??"
            policy = meta.get("x-storage-policy", "???")
            line = f"{count:>12} {prt_bytes(size, human)} {stamp} {policy:<15} {name}"
        else:
            subdir = item.get("subdir")
            if subdir is not None:
                size, date, clock, name = 0, "", "", subdir
            else:
                size = int(item.get("bytes") or 0)
                date, _, clock = str(item.get("last_modified", "")).partition("T")
                clock = clock.split(".")[0]
            totals.bytes += size
            content_type = item.get("content_type") or ""
            if versions:
                version = item.get("version_id") or "null"
                line = (
                    f"{prt_bytes(size, human)} {date:>10} {clock:>8} {version:>16} "
                    f"{content_type:>24} {name}"
                )
            else:
                line = f"{prt_bytes(size, human)} {date:>10} {clock:>8} {content_type:>24} {name}"
        if not only_totals:
            lines.append(line)
    return lines


def totals_line(totals: Totals, *, of_containers: bool, human: bool) -> str:
    if of_containers:
        return f"{prt_bytes(totals.count, True):>12} {prt_bytes(totals.bytes, human)}"
    return prt_bytes(totals.bytes, human)
