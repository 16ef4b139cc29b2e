"""The README's main job: incremental backups of a folder, and a verified restore.

``make demo`` runs this against a one-node OpenStack Swift it starts on
127.0.0.1 (:class:`swiftsvc.testing.LocalSwift`) and stops at the end:

1. generate a tree: 120 small files in nested folders and 3 files of 5-13 MiB;
2. full backup with ``examples/backup.py`` (large files as SLOs of 4 MiB segments);
3. change 3 files and add 1;
4. incremental backup: only those 4 are uploaded, the others are skipped;
5. restore everything into a fresh folder (MD5 checked by the library as it
   streams, segment by segment for the large objects);
6. compare every restored byte with the tree.

A progress bar shows each phase on a terminal; a table per phase and a
verdict follow. Exit code 0 only when every check passed.

The tree and the restore live in a temporary folder removed at the end;
``--keep DIR`` works in DIR instead and leaves both there to look at.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import backup
from _report import MIB, Tally, failure_line, show_progress, table

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

CONTAINER = "backup"
SEGMENT_SIZE = 4 * MIB
SMALL_FILES = 120
LARGE_SIZES = (9 * MIB, 13 * MIB + 12345, 5 * MIB)


def _write(root: Path, name: str, data: bytes, digests: dict[str, str]) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    digests[name] = hashlib.md5(data).hexdigest()


def generate_tree(root: Path, rng: random.Random) -> dict[str, str]:
    """Small files in nested folders plus three large ones; returns name -> MD5."""
    digests: dict[str, str] = {}
    for i in range(SMALL_FILES):
        data = rng.randbytes(rng.randint(0, 16 << 10))
        _write(root, f"docs/{i % 6}/{i % 4}/file-{i:03d}.txt", data, digests)
    for i, size in enumerate(LARGE_SIZES):
        _write(root, f"media/video-{i}.bin", rng.randbytes(size), digests)
    return digests


def change_tree(root: Path, rng: random.Random, digests: dict[str, str]) -> list[str]:
    """Change three files (one larger, two of the same size) and add one.

    The same-size changes are found by their modification time, which is
    set a minute later so that the change shows whatever the clock's
    granularity.
    """
    grown = "docs/0/0/file-000.txt"
    _write(root, grown, (root / grown).read_bytes() + b"one more line\n", digests)
    rewritten = "docs/1/1/file-001.txt"
    _write(root, rewritten, rng.randbytes((root / rewritten).stat().st_size), digests)
    patched = "media/video-1.bin"
    data = bytearray((root / patched).read_bytes())
    data[6 * MIB : 7 * MIB] = rng.randbytes(MIB)  # one segment's worth, mid-file
    _write(root, patched, bytes(data), digests)
    added = "docs/new/notes.txt"
    _write(root, added, b"written after the first backup\n", digests)
    later = time.time() + 60
    for name in (grown, rewritten, patched, added):
        os.utime(root / name, (later, later))
    return [grown, rewritten, patched, added]


def compare(restored: Path, digests: dict[str, str]) -> list[str]:
    """What differs between the restored folder and the expected digests."""
    problems = []
    found = {p.relative_to(restored).as_posix() for p in restored.rglob("*") if p.is_file()}
    for name in sorted(found - digests.keys()):
        problems.append(f"unexpected {name}")
    for name, digest in sorted(digests.items()):
        path = restored / name
        if name not in found:
            problems.append(f"missing {name}")
        elif hashlib.md5(path.read_bytes()).hexdigest() != digest:
            problems.append(f"differs {name}")
    return problems


@dataclass(frozen=True, slots=True)
class Check:
    what: str
    ok: bool


def checks(
    full: Tally, incremental: Tally, restore: Tally, *, initial: int, changed: int, files: int,
    problems: list[str],
) -> list[Check]:
    """What the demo promises, each as one line of the verdict."""
    unchanged = files - changed
    return [
        Check(
            f"full backup uploaded all {initial} files",
            full.transferred == initial and not full.failed,
        ),
        Check(
            f"incremental backup uploaded the {changed} changed files, skipped {unchanged}",
            (incremental.transferred, incremental.skipped, incremental.failed)
            == (changed, unchanged, 0),
        ),
        Check(
            f"restore downloaded {files} objects, MD5-checked",
            restore.transferred == files and not restore.failed,
        ),
        Check(f"every byte of the {files} restored files identical", not problems),
    ]


def work_folder(keep: Path | None) -> Path:
    """The folder to work in: ``keep`` (new or empty), else a temporary one."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="swiftsvc-demo-"))
    if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        # leftovers of an earlier run would show up as unexpected restored files
        raise SystemExit(f"--keep {keep}: give a folder that does not exist yet or is empty")
    keep.mkdir(parents=True, exist_ok=True)
    return keep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backup, incremental backup and verified "
                                     "restore against a local real Swift.")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR (new or empty) and keep the tree and the restore")
    keep: Path | None = parser.parse_args(argv).keep
    progress = show_progress()
    rng = random.Random(7)
    work = work_folder(keep)
    if keep is None:
        print(f"working in {work} (temporary: removed at the end; --keep DIR keeps it)",
              flush=True)
    try:
        source, restored = work / "source", work / "restored"
        digests = generate_tree(source, rng)
        size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
        print(f"generated {len(digests)} files, {size / MIB:.1f} MiB in {source}", flush=True)

        with LocalSwift() as cluster, Service(cluster.auth_options("tester")) as svc:
            initial = len(digests)
            full = backup.backup(
                svc, source, CONTAINER, segment_size=SEGMENT_SIZE, progress=progress,
                phase="full backup",
            )
            print(f"full backup: {full.transferred} uploaded in {full.seconds:.1f} s", flush=True)
            changed = change_tree(source, rng, digests)
            print(f"changed or added: {', '.join(changed)}", flush=True)
            incremental = backup.backup(
                svc, source, CONTAINER, segment_size=SEGMENT_SIZE, progress=progress,
                phase="incremental",
            )
            print(
                f"incremental backup: {incremental.transferred} uploaded, "
                f"{incremental.skipped} skipped",
                flush=True,
            )
            restore = backup.restore(svc, CONTAINER, restored, progress=progress)
            print(f"restore: {restore.transferred} downloaded into {restored}", flush=True)
        problems = compare(restored, digests)
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
            print(f"removed {work}: the tree and the restore were checked, then deleted",
                  flush=True)
        else:
            print(f"kept in {work}: the tree in source/, the restore in restored/", flush=True)

        tallies = [full, incremental, restore]
        print()
        print("\n".join(table(tallies)))
        for tally in tallies:
            for result in tally.failures:
                print(f"FAILED {tally.phase}: {failure_line(result)}")
        for problem in problems:
            print(f"VERIFY: {problem}")
        verdict = checks(
            full, incremental, restore, initial=initial, changed=len(changed),
            files=len(digests), problems=problems,
        )
        print()
        for check in verdict:
            print(f"  [{'ok' if check.ok else 'FAILED'}] {check.what}")
        ok = all(check.ok for check in verdict)
        print("\nVERIFIED: the restore is identical to the tree" if ok else "\nDEMO FAILED")
        if ok:
            # what a newcomer does next: README.rst, "The swiftsvc command"
            print("\nnext: the swiftsvc command is .venv/bin/swiftsvc; README.rst shows it on"
                  " a local Swift of your own"
                  " (eval \"$(.venv/bin/python -m swiftsvc.testing start)\")")
        return 0 if ok else 1
    finally:
        if keep is None:  # also when a phase failed: a temporary folder never stays
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
