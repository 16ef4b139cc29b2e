"""The acid test: python-swiftclient's own ``swift`` command, run on swiftsvc.

Every step of the workflow (:mod:`_workflow`) is one ``swift`` command, run
with ``swiftclient.shell.main`` twice: on the reference side with
python-swiftclient's ``SwiftService`` (account ``test``), on the candidate
side with swiftsvc's names swapped into the shell (account ``test2``), each
side in a working folder with the same files. A step passes when both sides
exit alike, print the same (after :class:`~_swift_shell.Normaliser`), and
leave the same cluster and local files behind.

The control run does the same with python-swiftclient on both sides: it
must pass too, or the comparison (or its normalising) would be hiding
something.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import swiftclient.service
from _swift_shell import (
    SWIFTCLIENT,
    SWIFTSVC,
    Account,
    Flavour,
    HeadCache,
    Normaliser,
    Outcome,
    changes,
    cluster_state,
    disk_state,
    flatten,
    run_shell,
)
from _workflow import STEPS, Deliberate, Step, make_tree

from swiftsvc.testing import LocalSwift

_SETTLE_TIMEOUT = 30.0


@dataclass
class Side:
    flavour: Flavour
    user: str
    workdir: Path
    account: Account
    cluster: LocalSwift
    # the state after the last step that changed it (flattened, normalised)
    cluster_before: dict[str, str] = field(default_factory=dict)
    disk_before: dict[str, str] = field(default_factory=dict)
    heads: HeadCache = field(default_factory=dict)

    def cluster_changes(self) -> list[str]:
        after = flatten(cluster_state(self.account, self.heads), self.normalise)
        lines, self.cluster_before = changes(self.cluster_before, after), after
        return lines

    def disk_changes(self) -> list[str]:
        after = flatten(disk_state(self.workdir), self.normalise)
        lines, self.disk_before = changes(self.disk_before, after), after
        return lines

    @property
    def normalise(self) -> Normaliser:
        return Normaliser(self.account.storage_url.rsplit("/", 1)[-1], self.workdir)

    def argv(self, step: Step) -> list[str]:
        options = self.cluster.auth_options(self.user)
        values = {"proxy": self.cluster.proxy_url, "storage": self.account.storage_url}
        return ["-A", options["auth"], "-U", options["user"], "-K", options["key"],
                *(argument.format(**values) for argument in step.argv)]

    def run(self, step: Step) -> Outcome:
        if step.prepare is not None:
            step.prepare(self.workdir)
        return run_shell(self.flavour, self.argv(step), cwd=self.workdir, stdin=step.stdin)


def _empty_account(cluster: LocalSwift, user: str) -> None:
    with swiftclient.service.SwiftService(cluster.auth_options(user)) as service:
        for result in service.delete(options={"yes_all": True}):
            assert result["success"], result


def _settle(account: Account) -> None:
    """Wait until the account's listing counts what its containers hold."""
    conn = account.connection()
    deadline = time.monotonic() + _SETTLE_TIMEOUT
    while True:
        headers, containers = conn.get_account(full_listing=True)
        held = [conn.head_container(entry["name"]) for entry in containers]
        counted = all(
            int(h["x-container-object-count"]) == entry["count"]
            and int(h["x-container-bytes-used"]) == entry["bytes"]
            for entry, h in zip(containers, held, strict=True)
        ) and int(headers["x-account-object-count"]) == sum(e["count"] for e in containers)
        if counted:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"account counts did not settle in {_SETTLE_TIMEOUT} s")
        time.sleep(0.2)


def _deliberate(
    outcome: Outcome, rules: Sequence[Deliberate]
) -> tuple[Outcome, list[Deliberate]]:
    """``outcome`` with the deliberate differences undone, and the rules that matched nothing."""
    stdout, stderr = outcome.stdout, outcome.stderr
    unused = []
    for rule in rules:
        stdout, in_stdout = re.subn(rule.pattern, rule.replacement, stdout)
        stderr, in_stderr = re.subn(rule.pattern, rule.replacement, stderr)
        if not in_stdout + in_stderr:
            unused.append(rule)
    return Outcome(outcome.exit_code, stdout, stderr), unused


def _diff(what: str, reference: str, candidate: str) -> str:
    lines = difflib.unified_diff(
        reference.splitlines(), candidate.splitlines(),
        f"{what} (swiftclient)", f"{what} (candidate)", lineterm="", n=2,
    )
    return "\n".join(lines)


class Comparison:
    """Runs steps on a reference and a candidate side and says what differs."""

    def __init__(self, reference: Side, candidate: Side) -> None:
        self.reference = reference
        self.candidate = candidate

    def check(self, step: Step) -> list[str]:
        if step.settled:
            _settle(self.reference.account)
            _settle(self.candidate.account)
        expected = self.reference.run(step)
        actual = self.candidate.run(step)
        problems: list[str] = []
        if self.candidate.flavour is SWIFTSVC and step.deliberate:
            actual, unused = _deliberate(actual, step.deliberate)
            problems += [f"deliberate difference no longer seen ({rule.reason}): "
                         f"{rule.pattern!r}" for rule in unused]
        if expected.exit_code != actual.exit_code:
            problems.append(
                f"exit code: swiftclient {expected.exit_code}, candidate {actual.exit_code}"
            )
        for stream in ("stdout", "stderr"):
            want = self._text(self.reference, getattr(expected, stream), step.ordered)
            got = self._text(self.candidate, getattr(actual, stream), step.ordered)
            if want != got:
                problems.append(_diff(stream, want, got))
        # what the step changed: a difference left by an earlier step is
        # reported there, not again at every step after it
        if step.changes_cluster:
            with ThreadPoolExecutor(2) as pool:
                want_future = pool.submit(self.reference.cluster_changes)
                got_lines = self.candidate.cluster_changes()
                want_lines = want_future.result()
            if want_lines != got_lines:
                problems.append(_diff("cluster changes", "\n".join(want_lines),
                                      "\n".join(got_lines)))
        if step.changes_disk:
            want_lines = self.reference.disk_changes()
            got_lines = self.candidate.disk_changes()
            if want_lines != got_lines:
                problems.append(_diff("disk changes", "\n".join(want_lines),
                                      "\n".join(got_lines)))
        return problems

    @staticmethod
    def _text(side: Side, output: str, ordered: bool) -> str:
        lines = side.normalise(output).splitlines()
        return "\n".join(lines if ordered else sorted(lines))


def _comparison(
    cluster: LocalSwift, root: Path, candidate: Flavour
) -> Iterator[Comparison]:
    sides = []
    for name, user, flavour in (("reference", "tester", SWIFTCLIENT),
                                ("candidate", "tester2", candidate)):
        _empty_account(cluster, user)
        workdir = root / name
        workdir.mkdir()
        make_tree(workdir)
        storage_url, token = cluster.get_token(user)
        side = Side(flavour, user, workdir, Account(storage_url, token), cluster)
        side.cluster_changes()
        side.disk_changes()
        sides.append(side)
    yield Comparison(*sides)


@pytest.fixture(scope="module")
def swiftsvc_run(
    compat_swift: LocalSwift, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Comparison]:
    yield from _comparison(compat_swift, tmp_path_factory.mktemp("swiftsvc"), SWIFTSVC)


@pytest.fixture(scope="module")
def control_run(
    compat_swift: LocalSwift, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Comparison]:
    yield from _comparison(compat_swift, tmp_path_factory.mktemp("control"), SWIFTCLIENT)


def _ids(steps: Sequence[Step]) -> list[str]:
    return [step.id for step in steps]


@pytest.mark.parametrize("step", STEPS, ids=_ids(STEPS))
def test_swift_command_on_swiftsvc(step: Step, swiftsvc_run: Comparison) -> None:
    problems = swiftsvc_run.check(step)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("step", STEPS, ids=_ids(STEPS))
def test_swift_command_control(step: Step, control_run: Comparison) -> None:
    problems = control_run.check(step)
    assert not problems, "\n\n".join(problems)
