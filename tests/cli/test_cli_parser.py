"""The swiftsvc command's arguments: flags of the swift command, usage errors exit 2."""

from __future__ import annotations

import pytest

from swiftsvc.cli.commands import COMMANDS, given
from swiftsvc.cli.main import main
from swiftsvc.cli.parser import build_parser


def test_common_options_go_before_or_after_the_subcommand() -> None:
    before = build_parser().parse_args(["-A", "http://a", "-U", "u", "-K", "k", "list"])
    after = build_parser().parse_args(["list", "-A", "http://a", "-U", "u", "-K", "k"])
    for args in (before, after):
        assert (args.auth, args.user, args.key) == ("http://a", "u", "k")


def test_an_option_after_the_subcommand_does_not_reset_one_before() -> None:
    args = build_parser().parse_args(["-U", "u", "--json", "stat", "-K", "k"])
    assert (args.user, args.key, args.json) == ("u", "k", True)


def test_download_dash_d_is_the_output_dir_and_debug_elsewhere() -> None:
    download = build_parser().parse_args(["download", "c", "-D", "out"])
    assert download.out_directory == "out" and download.debug is False
    debug = build_parser().parse_args(["-D", "download", "c"])
    assert debug.debug is True and debug.out_directory is None


def test_upload_flags_map_to_spec_options() -> None:
    args = build_parser().parse_args([
        "upload", "c", "f", "--segment-size", "64M", "--use-dlo", "--skip-identical",
        "--changed", "--leave-segments", "--object-threads", "3", "--segment-threads", "2",
        "-H", "X-A:1", "-H", "X-B:2", "-m", "k:v", "--skip-container-put", "--ignore-mtime",
        "--batch", "--ignore-checksum",
    ])  # fmt: skip
    assert given(args, "segment_size", "use_slo", "skip_identical", "changed",
                 "leave_segments", "header", "meta", "skip_container_put", "ignore_mtime",
                 "batch", "checksum") == {
        "segment_size": 64 << 20, "use_slo": False, "skip_identical": True, "changed": True,
        "leave_segments": True, "header": ["X-A:1", "X-B:2"], "meta": ["k:v"],
        "skip_container_put": True, "ignore_mtime": True, "batch": True, "checksum": False,
    }  # fmt: skip
    assert (args.object_threads, args.segment_threads) == (3, 2)


def test_flags_not_given_are_not_options() -> None:
    args = build_parser().parse_args(["upload", "c", "f"])
    assert (
        given(
            args,
            "segment_size",
            "use_slo",
            "skip_identical",
            "changed",
            "header",
            "checksum",
            "batch",
        )
        == {}
    )


def test_every_subcommand_has_a_command() -> None:
    parser = build_parser()
    for name in (
        "stat",
        "list",
        "upload",
        "download",
        "delete",
        "post",
        "copy",
        "capabilities",
        "auth",
    ):
        assert parser.parse_args([name, *(["c", "o"] if name in ("upload", "copy") else [])])
        assert name in COMMANDS


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-such-flag", "stat"],
        ["stat", "--no-such-flag"],
        ["frobnicate"],
        [],
        ["upload", "c"],  # no file
        ["upload", "c", "f", "--segment-size", "12X"],
        ["list", "--totals"],  # totals needs --long
        ["list", "--delimiter", "/"],  # delimiter needs a container
        ["download"],  # neither a container nor --all
        ["download", "--all", "c"],
        ["delete"],
        ["stat", "c", "--version-id", "1"],
        ["stat", "c/o"],
        ["post", "-r", ".r:*"],  # ACLs need a container
        ["upload", "c", "a", "b", "--object-name", "x"],
        ["upload", "c", "-"],  # stdin needs --object-name
        ["upload", "c", "f", "-H", "no colon"],  # a bad option value
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # auth options that point nowhere: a usage error must be caught before any request
    assert main(["-A", "http://127.0.0.1:9/auth/v1.0", "-U", "u", "-K", "k", *argv]) == 2
    assert "error" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "upload" in capsys.readouterr().out
