"""Errors a new user meets first: said once, in the words the user types, with the right usage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _cli import CLI, auth_flags, clean_env

from swiftsvc.cli.credentials import missing_credentials
from swiftsvc.cli.parser import build_parser
from swiftsvc.testing import LocalSwift


@pytest.fixture
def cli(local_swift: LocalSwift, tmp_path: Path) -> CLI:
    return CLI(auth_flags(local_swift.auth_options("tester")), tmp_path)


def test_a_wrong_key_during_upload_is_said_once(
    cli: CLI, local_swift: LocalSwift, container_name: str
) -> None:
    names = [f"f{index}.txt" for index in range(5)]
    for name in names:
        (cli.cwd / name).write_text(name)
    options = local_swift.auth_options("tester")
    result = cli.run("-A", options["auth"], "-U", options["user"], "-K", "wrong-key",
                     "upload", container_name, *names, auth=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("401 Unauthorized") == 1, result.stderr
    assert result.stderr.count("auth refused") == 1, result.stderr
    assert "5 operations failed with this authentication error" in result.stderr
    assert "WARNING" not in result.stderr and "Warning" not in result.stderr
    assert "wrong-key" not in result.stderr
    # the swift command says it (at least) twice; the check above is not vacuous
    theirs = cli.run("-A", options["auth"], "-U", options["user"], "-K", "wrong-key",
                     "upload", container_name, *names, auth=False, swift=True)  # fmt: skip
    assert theirs.stderr.count("401 Unauthorized") >= 2


def test_a_wrong_key_in_stat_is_said_once(cli: CLI, local_swift: LocalSwift) -> None:
    options = local_swift.auth_options("tester")
    result = cli.run("-A", options["auth"], "-U", options["user"], "-K", "wrong-key",
                     "stat", auth=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("401 Unauthorized") == 1, result.stderr


def test_missing_credentials_name_variables_and_flags(cli: CLI) -> None:
    result = cli.run("list", auth=False)
    assert result.returncode == 1
    for words in ("ST_AUTH (-A)", "ST_USER (-U)", "ST_KEY (-K)", "OS_AUTH_URL (--os-auth-url)",
                  "OS_PASSWORD (--os-password)", "OS_STORAGE_URL", "--os-help"):  # fmt: skip
        assert words in result.stderr, words
    assert "missing: auth, user, key" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_key_alone_is_named(cli: CLI, local_swift: LocalSwift) -> None:
    options = local_swift.auth_options("tester")
    env = {"ST_AUTH": options["auth"], "ST_USER": options["user"]}
    result = cli.run("stat", auth=False, env=env)
    assert result.returncode == 1
    assert "missing: ST_KEY (-K)" in result.stderr, result.stderr


def test_keystone_gaps_are_named_by_variable_and_flag() -> None:
    parser = build_parser()
    args = parser.parse_args(["--os-auth-url", "http://keystone/v3", "--os-username", "u",
                              "list"])  # fmt: skip
    text = missing_credentials(args, parser, environment={"OS_PASSWORD": "p"})
    assert text is not None
    assert "OS_PROJECT_NAME (--os-project-name) or OS_PROJECT_ID (--os-project-id)" in text
    assert "OS_USER_DOMAIN_NAME (--os-user-domain-name)" in text
    assert "os_project_name" not in text and "OS_PASSWORD" not in text


def test_complete_or_preauthenticated_credentials_are_not_missing() -> None:
    parser = build_parser()
    none_given = parser.parse_args(["list"])
    preauth = {"OS_STORAGE_URL": "http://s/v1/AUTH_a", "OS_AUTH_TOKEN": "t"}
    assert missing_credentials(none_given, parser, environment=preauth) is None
    v1 = {"ST_AUTH": "http://a/auth/v1.0", "ST_USER": "u", "ST_KEY": "k"}
    assert missing_credentials(none_given, parser, environment=v1) is None
    flags = parser.parse_args(["-A", "http://a/auth/v1.0", "-U", "u", "-K", "k", "list"])
    assert missing_credentials(flags, parser, environment={}) is None
    # conflicting options: left for the library to explain
    conflict = parser.parse_args(["--os-auth-type", "v1password", "-V", "3", "list"])
    assert missing_credentials(conflict, parser, environment={}) is None


def test_commands_that_need_no_credentials_run_without(cli: CLI, local_swift: LocalSwift) -> None:
    for argv in (("capabilities", f"{local_swift.proxy_url}/info"),
                 ("tempurl", "GET", "60", "/v1/AUTH_a/c/o", "key"),
                 ("bash_completion",)):  # fmt: skip
        result = cli.run(*argv, auth=False)
        assert result.returncode == 0, (argv, result.stderr)


@pytest.mark.parametrize(
    ("argv", "usage", "error"),
    [
        (["upload"], "swiftsvc [common options] upload [options] container",
         "swiftsvc upload: error: the following arguments are required: container"),
        (["upload", "c", "f", "--segmnet-size", "1G"], "upload [options]",
         "swiftsvc upload: error: unrecognized arguments: --segmnet-size 1G "
         "(--segmnet-size: did you mean --segment-size?)"),
        (["list", "--totals"], "list [options]",
         "swiftsvc list: error: --totals only works with --long or --lh"),
        (["download", "--output-dri", "x", "c"], "download [options]",
         "swiftsvc download: error: unrecognized arguments"),
        (["info", "--bogus"], "capabilities [options]", "swiftsvc capabilities: error:"),
    ],
)  # fmt: skip
def test_subcommand_errors_show_that_subcommands_usage(
    argv: list[str], usage: str, error: str
) -> None:
    installed = str(Path(sys.executable).parent / "swiftsvc")
    for program in ([sys.executable, "-m", "swiftsvc"], [installed]):
        result = subprocess.run([*program, *argv], env=clean_env(), capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert result.returncode == 2
        first, *rest = result.stderr.splitlines()
        assert first.startswith("usage: ") and usage in first, result.stderr
        assert any(line.startswith(error) for line in rest), result.stderr
        assert "__main__" not in result.stderr and "<subcommand> [options] [arguments] " not in (
            result.stderr
        )


def test_parser_errors_do_not_exit_the_caller_of_main(capsys: pytest.CaptureFixture[str]) -> None:
    from swiftsvc.cli.main import main

    assert main(["upload"]) == 2
    assert "swiftsvc upload: error:" in capsys.readouterr().err
