"""README.rst does what it says for a newcomer: its files exist, its examples run.

The examples are read out of README.rst itself (not copied here), so that an
edit that breaks them fails this test. They run against the local real Swift
with its credentials in the environment, as after the README's ``eval`` line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from swiftsvc.testing import LocalSwift

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.rst").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def _code_block(language: str, after: str) -> str:
    """The first ``code-block:: language`` after the heading line ``after``."""
    section = README[README.index(after):]
    match = re.search(rf"\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)", section)
    assert match, f"no {language} code block after {after!r} in README.rst"
    return "\n".join(line[3:] for line in match.group(1).splitlines()).strip() + "\n"


def _environment(local_swift: LocalSwift, home: Path) -> dict[str, str]:
    options = local_swift.auth_options("tester")
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("ST_", "OS_"))}  # fmt: skip
    environment.update(ST_AUTH=options["auth"], ST_USER=options["user"], ST_KEY=options["key"],
                       HOME=str(home))  # fmt: skip
    return environment


def test_every_file_the_readme_names_exists() -> None:
    linked = re.findall(r"`[^`<>]*<([^<>`\s]+)>`_", README)
    quoted = [name for name in re.findall(r"``([^`\s]+)``", README)
              if re.fullmatch(r"[\w./-]+\.(py|md|rst|json|png|toml)", name)]  # fmt: skip
    assert linked and quoted
    missing = [name for name in linked + quoted
               if not name.startswith("http") and name != "conftest.py"
               and not (ROOT / name).exists()]  # fmt: skip
    assert missing == []


def test_the_python_example_runs_as_written(local_swift: LocalSwift, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_code_block("python", "Using it from Python"))
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    (tmp_path / "photos" / "2024" / "cat.jpg").write_bytes(os.urandom(5000))
    (tmp_path / "photos" / "2024" / "notes.txt").write_bytes(b"hello\n")
    environment = _environment(local_swift, tmp_path)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=environment)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "failed" not in done.stdout
    # the listing may hold other tests' objects too
    assert {"photos/2024/cat.jpg 5000", "photos/2024/notes.txt 6"} <= set(done.stdout.splitlines())


def test_the_python_example_says_why_when_nothing_listens(
    local_swift: LocalSwift, tmp_path: Path
) -> None:
    script = tmp_path / "example.py"
    script.write_text(_code_block("python", "Using it from Python"))
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    (tmp_path / "photos" / "2024" / "notes.txt").write_bytes(b"hello\n")
    environment = _environment(local_swift, tmp_path)
    environment["ST_AUTH"] = "http://127.0.0.1:9/auth/v1.0"  # discard port: nothing listens
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=environment)  # fmt: skip
    assert done.returncode == 0, done.stderr
    failures = done.stdout.splitlines()
    assert failures and all(line.startswith("failed:") for line in failures), done.stdout
    assert all("Connection refused" in line for line in failures), done.stdout


def test_the_command_line_example_runs(local_swift: LocalSwift, tmp_path: Path) -> None:
    lines = _code_block("sh", "The ``swiftsvc`` command").splitlines()
    # the servers are the test's own: the lines that start and stop them are skipped
    commands = [line.split("#")[0].strip() for line in lines if "swiftsvc.testing" not in line]
    assert len(commands) >= 4
    pictures = tmp_path / "Pictures" / "2024"
    pictures.mkdir(parents=True)
    (pictures / "cat.jpg").write_bytes(os.urandom(3 << 20))
    (pictures / "dog.jpg").write_bytes(os.urandom(1000))
    environment = _environment(local_swift, tmp_path)
    outputs = []
    for command in commands:
        command = command.replace(".venv/bin/", f"{BIN}/")
        done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=environment)  # fmt: skip
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    # the container may hold other tests' objects: look where these landed
    landed = tmp_path / "restore" / str(pictures).lstrip("/")
    restored = {path.name: path.read_bytes() for path in landed.iterdir()}
    assert restored == {"cat.jpg": (pictures / "cat.jpg").read_bytes(),
                        "dog.jpg": (pictures / "dog.jpg").read_bytes()}  # fmt: skip
    # the signed prefix link opens an uploaded object without a token
    link = outputs[-1].strip()
    base, _, query = link.partition("?")
    dog = str(pictures / "dog.jpg").lstrip("/")  # named by its path, as swift does
    answer = requests.get(f"{base}{dog}?{query}", timeout=30)
    assert answer.status_code == 200 and answer.content == (pictures / "dog.jpg").read_bytes()
