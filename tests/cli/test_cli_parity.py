"""Where operators have habits, swiftsvc prints what python-swiftclient's ``swift`` prints.

Each test runs the same subcommand with both programs against the real
local Swift and compares their output (transaction ids aside).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from _cli import CLI, auth_flags

from swiftsvc.testing import LocalSwift

TRANSACTION = re.compile(r"tx[0-9a-f]{21}-[0-9a-f]{10}")


@pytest.fixture
def cli(local_swift: LocalSwift, tmp_path: Path) -> CLI:
    return CLI(auth_flags(local_swift.auth_options("tester")), tmp_path)


@pytest.fixture
def filled(cli: CLI, container_name: str) -> str:
    """``container_name`` holding a.txt, b/c.txt (uploaded by swift itself)."""
    (cli.cwd / "b").mkdir()
    (cli.cwd / "a.txt").write_text("alpha\n")
    (cli.cwd / "b" / "c.txt").write_text("charlie\n")
    upload = cli.run("upload", container_name, "a.txt", "b", swift=True)
    assert upload.returncode == 0, upload.stderr
    return container_name


def _both(cli: CLI, *argv: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    return cli.run(*argv), cli.run(*argv, swift=True)


def _without_transactions(text: str) -> str:
    return TRANSACTION.sub("tx<id>", text)


# ------------------------------------------------------------------ list


def test_list_json_is_swifts(cli: CLI, filled: str, container_name: str) -> None:
    for argv in (
        ("list", "--json", filled),
        ("list", "-j", filled),
        ("list", "-j", "--prefix", "b/", filled),
        ("list", "--json", "--delimiter", "/", filled),
        ("list", "--json", "--prefix", filled[:-3]),  # the account: containers
        ("list", "--json", "--prefix", "no-such-prefix-"),  # nothing: []
    ):
        ours, theirs = _both(cli, *argv)
        assert ours.returncode == theirs.returncode == 0, (argv, ours.stderr)
        assert ours.stdout == theirs.stdout, argv
        json.loads(ours.stdout)


def test_list_json_of_a_missing_container_prints_no_json(cli: CLI, container_name: str) -> None:
    ours, theirs = _both(cli, "list", "--json", container_name)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == theirs.stdout == ""


# ---------------------------------------------------------- capabilities


def test_info_is_capabilities_and_json_is_swifts(cli: CLI) -> None:
    for argv in (("info",), ("info", "--json"), ("capabilities", "--json")):
        ours, theirs = _both(cli, *argv)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, argv


# ------------------------------------------------------------------ stat


def _stat_lines(text: str) -> list[str]:
    return _without_transactions(text).splitlines()


def test_stat_lines_are_swifts(cli: CLI, filled: str) -> None:
    cli.run("post", "-m", "Color:blue", filled)  # an ACL stays empty
    for argv in (("stat", filled), ("stat", filled, "a.txt"), ("stat", "--lh", filled, "b/c.txt")):
        ours, theirs = _both(cli, *argv)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert _stat_lines(ours.stdout) == _stat_lines(theirs.stdout), argv
    container = cli.run("stat", filled).stdout
    assert re.search(r"^\s+Read ACL:$", container, re.M)  # no trailing space
    assert re.search(r"^\s+Content-Type: text/plain", container, re.M)
    assert re.search(r"^\s+Last-Modified: \w{3}, ", container, re.M)
    assert all(line == line.rstrip() for line in container.splitlines())


def test_account_stat_shows_the_same_labels(cli: CLI, filled: str) -> None:
    # values may move while the container updater settles: compare the labels
    ours, theirs = _both(cli, "stat")
    assert ours.returncode == theirs.returncode == 0, ours.stderr

    def labels(text: str) -> list[str]:
        return [line.split(":", 1)[0].strip() for line in text.splitlines()]

    assert labels(ours.stdout) == labels(theirs.stdout)
    assert "Content-Type" in labels(ours.stdout)


# ---------------------------------------------------------------- upload


def test_skipped_uploads_are_named_as_swift_names_them(cli: CLI, filled: str) -> None:
    for flag in ("--skip-identical", "--changed"):
        ours, theirs = _both(cli, "upload", flag, filled, "a.txt")
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout == "a.txt\n", flag
    verbose = cli.run("upload", "-v", "--skip-identical", filled, "a.txt")
    assert verbose.stdout == "a.txt [skipped-identical]\n"  # -v says why


# ------------------------------------------------------- container errors


@pytest.mark.parametrize("subcommand", ["list", "stat", "download"])
def test_a_missing_container_is_told_with_its_transaction_id(
    cli: CLI, container_name: str, subcommand: str
) -> None:
    ours, theirs = _both(cli, subcommand, container_name)
    assert ours.returncode == theirs.returncode == 1
    assert f"container:{container_name}" not in ours.stderr
    expected = _without_transactions(theirs.stderr)
    assert f"Container '{container_name}' not found\nFailed Transaction ID: tx<id>\n" == expected
    assert _without_transactions(ours.stderr) == "Error: " + expected


# --------------------------------------------------------------- tempurl


def test_tempurl_signs_as_swift_does_and_the_url_works(
    cli: CLI, filled: str, local_swift: LocalSwift
) -> None:
    assert cli.run("post", "-m", "Temp-URL-Key:k3y", filled).returncode == 0
    path = f"/v1/AUTH_test/{filled}/a.txt"
    stamp = str(int(time.time()) + 600)
    for flags in ([], ["--iso8601"], ["--digest", "sha512"], ["--ip-range", "127.0.0.1"]):
        argv = ("tempurl", "--absolute", *flags, "GET", stamp, path, "k3y")
        ours, theirs = cli.run(*argv, auth=False), cli.run(*argv, auth=False, swift=True)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, flags
        answer = requests.get(local_swift.proxy_url + ours.stdout.strip(), timeout=30)
        assert answer.status_code == 200 and answer.text == "alpha\n", flags


def test_tempurl_reads_the_key_and_the_storage_url(
    cli: CLI, filled: str, local_swift: LocalSwift
) -> None:
    missing = cli.run("tempurl", "GET", "60", f"{filled}/a.txt")
    assert missing.returncode == 1 and "no temporary URL key" in missing.stderr
    assert cli.run("post", "-m", "Temp-URL-Key:from-meta", filled).returncode == 0
    made = cli.run("tempurl", "GET", "1h", f"{filled}/a.txt")
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip()
    assert url.startswith(local_swift.storage_url() + f"/{filled}/a.txt?")
    assert requests.get(url, timeout=30).text == "alpha\n"
    expires = int(parse_qs(urlsplit(url).query)["temp_url_expires"][0])
    assert 3500 < expires - time.time() <= 3600
    # prefix-based: every object under b/, nothing else
    prefix = cli.run("tempurl", "--prefix-based", "GET", "60", f"{filled}/b/").stdout.strip()
    query = urlsplit(prefix).query
    base = local_swift.storage_url() + f"/{filled}/"
    assert requests.get(f"{base}b/c.txt?{query}", timeout=30).text == "charlie\n"
    assert requests.get(f"{base}a.txt?{query}", timeout=30).status_code == 401
    # expired: Swift refuses it
    past = cli.run("tempurl", "--absolute", "GET", str(int(time.time()) - 10), f"{filled}/a.txt")
    assert requests.get(past.stdout.strip(), timeout=30).status_code == 401


def test_tempurl_with_a_key_needs_no_credentials(cli: CLI) -> None:
    result = cli.run("tempurl", "PUT", "60", "/v1/AUTH_x/c/o", "k", auth=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("/v1/AUTH_x/c/o?temp_url_sig=")
    bad = cli.run("tempurl", "GET", "whenever", "/v1/AUTH_x/c/o", "k", auth=False)
    assert bad.returncode == 2 and "'whenever'" in bad.stderr
    assert "swiftsvc tempurl: error:" in bad.stderr


# ------------------------------------------------------ flags of habit


def test_os_help_shows_the_authentication_options(cli: CLI) -> None:
    result = cli.run("--os-help", auth=False)
    assert result.returncode == 0
    for flag in ("--os-auth-url", "--os-project-domain-name", "-A AUTH", "--os-cacert"):
        assert flag in result.stdout
    assert "--segment-size" not in result.stdout and "--fail-fast" not in result.stdout


def test_debug_with_secrets_is_refused_with_the_reason(cli: CLI) -> None:
    for argv in (("--debug-with-secrets", "stat"), ("stat", "--debug-with-secrets")):
        result = cli.run(*argv)
        assert result.returncode == 2
        assert "never prints tokens" in result.stderr and "--debug" in result.stderr
        assert result.stdout == ""


def test_help_says_where_swiftsvc_differs(cli: CLI) -> None:
    text = cli.run("--help", auth=False).stdout
    assert "where swiftsvc differs from the swift command" in text
    assert "130" in text and "does not know is an error" in text


def test_bash_completion_words(cli: CLI) -> None:
    words = cli.run("bash_completion", auth=False).stdout.split()
    assert {"upload", "download", "tempurl", "info", "--os-auth-url"} <= set(words)
    assert "bash_completion" not in words
    upload = cli.run("bash_completion", "upload", auth=False).stdout.split()
    assert {"--segment-size", "--skip-identical", "-S"} <= set(upload)
    assert cli.run("bash_completion", "frobnicate", auth=False).stdout.strip() == ""
