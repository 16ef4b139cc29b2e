"""The swiftsvc command against the real local Swift, run as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import CLI, auth_flags, clean_env, command

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

FILES = {
    "data/a.txt": b"alpha\n",
    "data/sub/b.txt": b"bravo bravo\n",
    "data/sub/c.bin": bytes(range(256)) * 12,
}


@pytest.fixture
def cli(local_swift: LocalSwift, tmp_path: Path) -> CLI:
    return CLI(auth_flags(local_swift.auth_options("tester")), tmp_path)


@pytest.fixture(scope="module")
def uploaded(
    local_swift: LocalSwift, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    """A container holding FILES, uploaded once by ``swiftsvc upload <c> data``."""
    root = tmp_path_factory.mktemp("tree")
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    container = f"t-cli-{uuid.uuid4().hex[:8]}"
    upload = CLI(auth_flags(local_swift.auth_options("tester")), root).run(
        "upload", container, "data"
    )
    yield container, upload
    with Service(local_swift.auth_options("tester")) as svc:
        for _ in svc.delete(container):
            pass


def test_upload_prints_each_object_and_exits_0(
    uploaded: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    _, upload = uploaded
    assert upload.returncode == 0, upload.stderr
    assert sorted(upload.stdout.split()) == sorted(FILES)


def test_list_plain_prints_names(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    listing = cli.run("list", container)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == sorted(FILES)
    assert container in cli.run("list").stdout.splitlines()


def test_list_long_and_totals(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    total = sum(len(data) for data in FILES.values())
    long = cli.run("list", "--long", container).stdout.splitlines()
    assert len(long) == len(FILES) + 1
    assert re.match(r"^\s+6 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+ data/a\.txt$", long[0]), long
    assert long[-1].strip() == str(total)
    totals = cli.run("list", "--long", "--totals", container)
    assert totals.stdout.split() == [str(total)]
    human = cli.run("list", "--lh", "--prefix", "data/sub/", container).stdout.splitlines()
    assert human[-1].strip() == "3.0K"  # 12 + 3072 bytes


def test_list_json_is_one_array_of_entries(cli: CLI, uploaded: tuple[str, object]) -> None:
    # swift's format (compared with swift itself in test_cli_parity.py), wherever --json goes
    container, _ = uploaded
    for argv in (("--json", "list", container), ("list", "-j", container)):
        result = cli.run(*argv)
        assert result.returncode == 0, result.stderr
        entries = json.loads(result.stdout)
        assert sorted(entry["name"] for entry in entries) == sorted(FILES)


def test_json_lines_of_other_commands_parse(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    result = cli.run("--json", "stat", container, *FILES)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["object"] for line in lines) == sorted(FILES)
    assert all(line["action"] == "stat_object" for line in lines)


def test_stat_container_and_object(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    stat = cli.run("stat", container)
    assert stat.returncode == 0, stat.stderr
    assert re.search(rf"^\s+Container: {container}$", stat.stdout, re.M)
    obj = cli.run("stat", container, "data/sub/b.txt")
    assert re.search(r"^\s+Content Length: 12$", obj.stdout, re.M), obj.stdout
    assert re.search(r"^\s+Object: data/sub/b.txt$", obj.stdout, re.M)


def test_download_to_a_directory_reports_timings(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    result = cli.run("download", container, "-D", "out")
    assert result.returncode == 0, result.stderr
    for name, data in FILES.items():
        assert (cli.cwd / "out" / name).read_bytes() == data
    timing = r"\[auth \d+\.\d{3}s, headers \d+\.\d{3}s, total \d+\.\d{3}s, \d+\.\d{3} MB/s\]"
    lines = result.stdout.splitlines()
    assert len(lines) == len(FILES)
    assert all(re.fullmatch(rf"out/data/\S+ {timing}", line) for line in lines), lines


def test_download_to_stdout_writes_only_the_object(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    result = subprocess.run(
        command(*cli.auth, "download", container, "data/sub/c.bin", "-o", "-"),
        cwd=cli.cwd, env=clean_env(), capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == FILES["data/sub/c.bin"]


def test_a_failing_operation_exits_1_without_traceback(
    cli: CLI, uploaded: tuple[str, object]
) -> None:
    container, _ = uploaded
    missing = cli.run("download", container, "no/such/object", "-D", "out")
    assert missing.returncode == 1
    assert "not found" in missing.stderr
    no_container = cli.run("stat", f"{container}-missing")
    assert no_container.returncode == 1
    for result in (missing, no_container):
        assert "Traceback" not in result.stderr


def test_wrong_key_exits_1_and_never_shows_the_key(cli: CLI, local_swift: LocalSwift) -> None:
    options = local_swift.auth_options("tester")
    result = cli.run("-A", options["auth"], "-U", options["user"], "-K", "wrong-key-123",
                     "stat", auth=False)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "wrong-key-123" not in result.stdout + result.stderr


def test_bad_flag_exits_2(cli: CLI) -> None:
    result = cli.run("list", "--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_post_meta_then_stat_shows_it(cli: CLI, container_name: str) -> None:
    assert cli.run("post", "-m", "Color:blue", container_name).returncode == 0
    stat = cli.run("stat", container_name)
    assert re.search(r"^\s+Meta Color: blue$", stat.stdout, re.M), stat.stdout


def test_copy_then_delete(cli: CLI, container_name: str) -> None:
    (cli.cwd / "f.txt").write_bytes(b"copy me")
    assert cli.run("upload", container_name, "f.txt").returncode == 0
    target = f"{container_name}-copy"
    copy = cli.run("copy", container_name, "f.txt", "-d", f"/{target}/g.txt")
    assert copy.returncode == 0, copy.stderr
    assert f"{container_name}/f.txt copied to /{target}/g.txt" in copy.stdout
    assert cli.run("list", target).stdout.split() == ["g.txt"]

    delete = cli.run("delete", target)
    assert delete.returncode == 0, delete.stderr
    assert set(delete.stdout.split()) == {"g.txt", target}
    assert target not in cli.run("list").stdout.split()


def test_capabilities_text_and_json(cli: CLI, local_swift: LocalSwift) -> None:
    text = cli.run("capabilities")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Core: swift\n Options:\n")
    assert "Additional middleware: slo" in text.stdout
    # a proxy URL needs no authentication; --json is swift's: the capabilities alone
    by_url = cli.run("--json", "capabilities", f"{local_swift.proxy_url}/info", auth=False)
    assert by_url.returncode == 0, by_url.stderr
    assert "bulk_delete" in json.loads(by_url.stdout)


def test_auth_exports_work_when_evaluated(cli: CLI) -> None:
    script = (
        f'eval "$({" ".join(command(*cli.auth, "auth"))})" && '
        f'{" ".join(command())} --os-storage-url "$OS_STORAGE_URL" '
        '--os-auth-token "$OS_AUTH_TOKEN" stat'
    )
    result = subprocess.run(["bash", "-c", script], cwd=cli.cwd, env=clean_env(),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+Account: AUTH_test$", result.stdout, re.M)


def test_the_token_appears_only_in_auth_output(cli: CLI, uploaded: tuple[str, object]) -> None:
    container, _ = uploaded
    exports = cli.run("auth").stdout
    token = re.search(r"^export OS_AUTH_TOKEN=(\S+)$", exports, re.M)
    assert token is not None
    for argv in (("--json", "stat"), ("--json", "list", container), ("-D", "stat", container)):
        result = cli.run(*argv)
        assert result.returncode == 0, result.stderr
        assert token.group(1) not in result.stdout + result.stderr


def test_cli_utils_in_a_script(
    local_swift: LocalSwift, tmp_path: Path, container_name: str
) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import argparse\n"
        "from swiftsvc import cli_utils\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('container')\n"
        "cli_utils.add_parser_options(parser)\n"
        "args = parser.parse_args()\n"
        "cli_utils.setup_logger(args)\n"
        "with cli_utils.create_service(args) as svc:\n"
        "    svc.post(args.container)\n"
        "    result = svc.stat(args.container)\n"
        "    print(result['success'], dict(result['items'])['Container'])\n"
    )
    options = local_swift.auth_options("tester")
    with_flags = subprocess.run(
        ["python", str(script), container_name, *auth_flags(options)],
        env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert with_flags.stdout == f"True {container_name}\n", with_flags.stderr
    # flags not given leave the environment fallbacks in force
    env = {"ST_AUTH": options["auth"], "ST_USER": options["user"], "ST_KEY": options["key"]}
    from_env = subprocess.run(
        ["python", str(script), container_name], env=clean_env(env),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert from_env.stdout == f"True {container_name}\n", from_env.stderr


def test_python_dash_m_and_the_package_main_are_the_same_command() -> None:
    result = subprocess.run(command("--version"), env=clean_env(), capture_output=True,
                            text=True, timeout=30, cwd=os.getcwd())  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("swiftsvc ")
