"""swiftsvc.cli.output, tables, json_lines: the text and JSON the command prints (pure)."""

from __future__ import annotations

import io
import json

from swiftsvc.cli import json_lines, output, tables
from swiftsvc.errors import AuthError, ClientException, SwiftError


def test_json_safe_turns_errors_to_text_drops_bytes_and_iterators_keeps_headers() -> None:
    result = {
        "action": "download_object",
        "success": False,
        "error": ClientException("boom", http_status=500),
        "headers": {"etag": "abc", "x-object-meta-color": "blue"},
        "body": b"\x00\x01",
        "contents": iter([b"data"]),
        "items": [("Account", "AUTH_test")],
        "start_time": 1.5,
    }
    safe = json_lines.json_safe(result)
    assert safe["error"].startswith("boom")
    assert safe["headers"] == {"etag": "abc", "x-object-meta-color": "blue"}
    assert "body" not in safe and "contents" not in safe
    assert safe["items"] == [["Account", "AUTH_test"]]
    json.dumps(safe)  # serialisable


def test_json_safe_never_shows_tokens_or_secrets() -> None:
    result = {
        "headers": {"X-Auth-Token": "AUTH_tk123", "X-Container-Sync-Key": "sync"},
        "response_dict": {"headers": {"x-storage-token": "AUTH_tk123"}},
        "items": [("Sync Key", "sync"), ("Auth Token", "AUTH_tk123")],
        "options": {"key": "testing", "os_password": "pw"},
    }
    text = json_lines.json_line(result)
    for secret in ("AUTH_tk123", 'sync"', "testing", 'pw"'):
        assert secret not in text
    assert text.count(json_lines.REDACTED) == 7


def test_prt_bytes_like_the_swift_command() -> None:
    assert tables.prt_bytes(1234, False) == "        1234"
    assert tables.prt_bytes(1000, True) == "1000"
    assert tables.prt_bytes(2048, True) == "2.0K"
    assert tables.prt_bytes(50 << 20, True) == " 50M"


def test_stat_lines_align_items_then_headers_not_already_shown() -> None:
    result = {
        "action": "stat_container",
        "items": [("Account", "AUTH_test"), ("Container", "c"), ("Objects", "3"),
                  ("Meta Color", "blue")],
        "headers": {"x-container-meta-color": "blue", "x-container-meta-size": "L",
                    "x-timestamp": "1.0", "content-length": "0"},
    }  # fmt: skip
    lines = tables.stat_lines(result)
    assert lines == [
        "       Account: AUTH_test",
        "     Container: c",
        "       Objects: 3",
        "    Meta Color: blue",
        "     Meta Size: L",
        "   X-Timestamp: 1.0",
    ]


def test_stat_lines_human_sizes() -> None:
    result = {"action": "stat_account", "items": [("Bytes", "3145728")], "headers": {}}
    assert tables.stat_lines(result, human=True) == ["         Bytes: 3.0M"]


def _page(
    action: str, container: str | None, listing: list[dict[str, object]]
) -> dict[str, object]:
    return {"action": action, "success": True, "container": container, "listing": listing}


def test_listing_plain_prints_names_and_subdirs() -> None:
    page = _page("list_container_part", "c", [{"name": "a"}, {"subdir": "d/"}])
    totals = tables.Totals()
    assert tables.listing_lines(page, long=False, human=False, totals=totals) == ["a", "d/"]


def test_listing_long_objects_and_totals() -> None:
    page = _page("list_container_part", "c", [
        {"name": "a", "bytes": 10, "last_modified": "2024-01-02T03:04:05.123",
         "content_type": "text/plain"},
        {"name": "b", "bytes": 5, "last_modified": "2024-01-02T03:04:06.000",
         "content_type": "x/y"},
    ])  # fmt: skip
    totals = tables.Totals()
    lines = tables.listing_lines(page, long=True, human=False, totals=totals)
    assert lines[0] == f"{10:>12} 2024-01-02 03:04:05 {'text/plain':>24} a"
    assert totals.bytes == 15
    assert tables.totals_line(totals, of_containers=False, human=False) == f"{15:>12}"
    only = tables.listing_lines(
        page, long=True, human=False, totals=tables.Totals(), only_totals=True
    )
    assert only == []


def test_listing_long_containers_use_their_metadata() -> None:
    page = _page("list_account_part", None, [
        {"name": "c", "count": 2, "bytes": 2048,
         "meta": {"x-timestamp": "0", "x-storage-policy": "gold"}},
    ])  # fmt: skip
    totals = tables.Totals()
    (line,) = tables.listing_lines(page, long=True, human=True, totals=totals)
    assert line == f"{2:>12} 2.0K 1970-01-01 00:00:00 {'gold':<15} c"
    assert tables.totals_line(totals, of_containers=True, human=True) == f"{'2':>12} 2.0K"


def test_download_line_reports_timings_and_speed() -> None:
    result = {
        "path": "d/a",
        "start_time": 10.0,
        "auth_end_time": 10.5,
        "headers_receipt": 11.0,
        "finish_time": 12.5,
        "read_length": 2_000_000,
        "attempts": 1,
        "pseudodir": False,
    }
    assert output.download_line(result) == (
        "d/a [auth 0.500s, headers 1.000s, total 2.500s, 1.000 MB/s]"
    )
    result["attempts"] = 3
    assert output.download_line(result).endswith("after 3 attempts]")


def test_upload_line() -> None:
    assert output.upload_line({"action": "upload_object", "object": "a", "attempts": 1}) == "a"
    skipped = {"action": "upload_object", "object": "a", "status": "skipped-identical"}
    assert output.upload_line(skipped) == "a"  # as swift upload names it
    assert output.upload_line(skipped, verbose=True) == "a [skipped-identical]"
    assert (
        output.upload_line({"action": "upload_segment", "for_object": "big", "segment_index": 2})
        == "big segment 2"
    )
    assert output.upload_line({"action": "create_container", "container": "c"}) is None


def test_delete_lines_for_bulk_leave_out_failed_items() -> None:
    result = {
        "action": "bulk_delete",
        "container": "c",
        "objects": ["a", "b"],
        "errors": [("b", "409 Conflict")],
    }
    assert output.delete_lines(result, whole_account=False) == ["a"]
    assert output.delete_lines(result, whole_account=True) == ["c/a"]
    assert output.bulk_errors(result) == [("b", "409 Conflict")]


def test_capabilities_lines_core_first() -> None:
    lines = output.capabilities_lines({"tempurl": {"methods": ["GET"]}, "swift": {"version": "2"}})
    assert lines == [
        "Core: swift",
        " Options:",
        "  version: 2",
        "Additional middleware: tempurl",
        " Options:",
        "  methods: ['GET']",
    ]


def test_output_counts_failures_but_not_warnings_and_keeps_stdout_json_only() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = output.Output(stdout=stdout, stderr=stderr, json_lines=True)
    out.result({"action": "upload_object", "success": True, "object": "a"}, "a")
    out.result(
        {"action": "create_container", "success": False, "error": ValueError("x")},
        failure_is_warning=True,
    )
    out.result({"action": "upload_object", "success": False, "error": ValueError("y")})
    assert out.failures == 1 and out.done == 1
    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [line["success"] for line in lines] == [True, False, False]
    assert stderr.getvalue() == ""


def test_output_quiet_keeps_errors_only() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = output.Output(stdout=stdout, stderr=stderr, verbosity=-1)
    out.result({"action": "upload_object", "success": True, "object": "a"}, "a")
    out.result(
        {
            "action": "upload_object",
            "success": False,
            "container": "c",
            "object": "b",
            "error": ValueError("nope"),
        }
    )
    assert stdout.getvalue() == ""
    assert stderr.getvalue() == "Error: c/b: nope\n"


def test_output_quiet_still_prints_what_was_asked_for() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = output.Output(stdout=stdout, stderr=stderr, verbosity=-1)
    out.result({"action": "list_container_part", "success": True}, ["a", "b"], essential=True)
    assert stdout.getvalue() == "a\nb\n"


def test_a_swift_error_loses_only_the_tags_its_message_names() -> None:
    missing = SwiftError("Container 'box' not found", container="box", transaction_id="tx1")
    assert output.describe_error(missing) == "Container 'box' not found"
    assert output.transaction_line(missing) == "Failed Transaction ID: tx1"
    vague = SwiftError("upload failed", container="box", obj="a.txt")
    assert output.describe_error(vague) == "upload failed container:box object:a.txt"
    assert output.transaction_line(vague) is None
    result = {"action": "list_container_part", "success": False, "container": "box",
              "error": missing}  # fmt: skip
    assert output.failure_text(result) == "Container 'box' not found"
    result = {"action": "delete_object", "success": False, "container": "box",
              "object": "a.txt", "error": ValueError("gone")}  # fmt: skip
    assert output.failure_text(result) == "box/a.txt: gone"


def test_an_auth_failure_is_printed_once_and_its_failures_counted() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = output.Output(stdout=stdout, stderr=stderr)
    refused = AuthError("v1.0 auth refused", scheme="v1.0", http_status=401)
    wrapped = SwiftError("Capabilities GET failed", exc=refused)
    assert out.auth_failure(AuthError("v1.0 auth refused", scheme="v1.0", http_status=401))
    out.result({"action": "create_container", "success": False, "container": "c",
                "error": wrapped}, failure_is_warning=True)  # fmt: skip
    for name in ("a", "b", "c"):
        out.result({"action": "upload_object", "success": False, "container": "c",
                    "object": name, "error": refused})  # fmt: skip
    out.finish()
    assert out.failures == 3
    assert stderr.getvalue() == (
        f"Error: {refused}\n(3 operations failed with this authentication error)\n"
    )
    other = AuthError("v1.0 auth refused", scheme="v1.0", http_status=403)
    assert out.auth_failure(other)  # a different failure is said too
