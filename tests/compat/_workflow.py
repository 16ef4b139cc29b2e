"""The acid test's workflow: ``swift`` commands a user runs, in order.

Each :class:`Step` is one ``swift`` command line (without the auth flags,
which :mod:`test_swift_shell` adds), run on both sides in turn; the steps
build on each other (upload, then list, stat, post, download, copy, delete).
``{proxy}`` and ``{storage}`` in an argument become the side's proxy and
storage URLs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# local files get mtimes in the past, the same on both sides, so that the
# X-Object-Meta-Mtime headers and segment names they give are comparable
BASE_MTIME = 1_600_000_000


@dataclass(frozen=True)
class Deliberate:
    """A difference of swiftsvc's output kept on purpose (docs/COMPAT.md).

    ``pattern`` is replaced by ``replacement`` in swiftsvc's output before
    the comparison, so the rest of the line still has to match; a rule that
    no longer matches anything is reported (the difference is gone: remove
    the rule and its line in COMPAT.md).
    """

    pattern: str
    replacement: str
    reason: str


# swiftsvc's authentication errors say which scheme and options were used
# (so leftover variables of another auth version show): COMPAT.md "Errors"
AUTH_ERROR_WORDS = (
    Deliberate(r"v1\.0 auth refused: check user and key: ", "Auth GET failed: ",
               "auth errors name the problem, the scheme and the options used"),
    Deliberate(r" \(auth scheme v1\.0; options used: [a-z_, ]+\)", "",
               "auth errors name the problem, the scheme and the options used"),
)


@dataclass(frozen=True)
class Step:
    id: str
    argv: Sequence[str]
    stdin: bytes | None = None
    # results arrive in completion order: compare the lines as a set
    ordered: bool = False
    # compare the cluster (listings and every object's headers) afterwards
    changes_cluster: bool = False
    # compare the working folders afterwards
    changes_disk: bool = False
    # the account's object and byte counts must have settled first (they
    # come from the container updater, a moment after each change)
    settled: bool = False
    # done to both working folders before the command (same on both)
    prepare: Callable[[Path], None] | None = None
    # differences of swiftsvc's output kept on purpose (not for the control run)
    deliberate: tuple[Deliberate, ...] = ()


def _write(path: Path, data: bytes, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def make_tree(root: Path) -> None:
    """The local files every side starts with (identical bytes and mtimes)."""
    pattern = bytes(range(256))
    files = {
        "tree/a.txt": b"alpha\n" * 20,
        "tree/b/c.txt": b"charlie\n",
        "tree/b/empty.bin": b"",
        "tree/d/e/f.txt": b"foxtrot\n" * 3,
        "notes.txt": b"some notes\n",
        "big.bin": (pattern * 12)[:3000],
        "big2.bin": (pattern[::-1] * 10)[:2500],
        **{f"many/item-{i:02d}.txt": f"item {i}\n".encode() for i in range(21)},
    }
    for number, (name, data) in enumerate(sorted(files.items())):
        _write(root / name, data, BASE_MTIME + number)
    (root / "tree" / "emptydir").mkdir()
    (root / "tree" / "d" / "hollow").mkdir()


def _change_c(root: Path) -> None:
    _write(root / "tree/b/c.txt", b"charlie, changed\n", BASE_MTIME + 5000)


def _upload(id: str, *argv: str, **kwargs: object) -> Step:
    return Step(id, ("upload", *argv), ordered=False, changes_cluster=True, **kwargs)  # type: ignore[arg-type]


def _read(id: str, *argv: str, **kwargs: object) -> Step:
    return Step(id, argv, ordered=True, **kwargs)  # type: ignore[arg-type]


def _download(id: str, *argv: str, **kwargs: object) -> Step:
    return Step(id, ("download", *argv), changes_disk=True, **kwargs)  # type: ignore[arg-type]


def _change(id: str, *argv: str, **kwargs: object) -> Step:
    return Step(id, argv, changes_cluster=True, **kwargs)  # type: ignore[arg-type]


STDIN_TEXT = b"read from standard input\n"
STDIN_BYTES = bytes(range(6, 256)) + bytes(range(100))  # 350 bytes

STEPS: tuple[Step, ...] = (
    # ---------------------------------------------------------------- upload
    _upload("upload-tree", "photos", "tree"),
    # more than 2 x object threads: deleted in bulk later
    _upload("upload-many", "many", "many"),
    _upload("upload-meta-header", "-m", "Color:Blue", "-H", "X-Object-Meta-Owner:me",
            "-H", "Content-Type:text/x-notes", "docs", "notes.txt"),
    _upload("upload-slo", "-S", "1024", "big", "big.bin"),
    _upload("upload-dlo", "-S", "1024", "--use-dlo", "big", "big2.bin"),
    _upload("upload-skip-identical", "--skip-identical", "photos", "tree"),
    _upload("upload-skip-identical-slo", "--skip-identical", "-S", "1024", "big", "big.bin"),
    _upload("upload-changed", "--changed", "photos", "tree", prepare=_change_c),
    _upload("upload-object-name-file", "--object-name", "renamed.txt", "docs", "notes.txt"),
    _upload("upload-object-name-folder", "--object-name", "gallery", "photos", "tree/b"),
    _upload("upload-stdin", "--object-name", "stdin.txt", "docs", "-", stdin=STDIN_TEXT),
    _upload("upload-stdin-slo", "-S", "100", "--object-name", "stdin-slo.bin", "docs", "-",
            stdin=STDIN_BYTES),
    _upload("upload-stdin-dlo", "-S", "100", "--use-dlo", "--object-name", "stdin-dlo.bin",
            "docs", "-", stdin=STDIN_BYTES),
    _upload("upload-missing-file", "docs", "no-such-file", "notes.txt"),
    _upload("upload-pseudo-folder", "docs/sub/folder", "notes.txt"),
    _upload("upload-replace-slo", "-S", "1500", "big", "big.bin"),
    # ------------------------------------------------------------------ list
    _read("list-account", "list"),
    _read("list-account-long", "list", "--long", settled=True),
    _read("list-account-lh", "list", "--lh", settled=True),
    _read("list-account-totals", "list", "--long", "--totals", settled=True),
    _read("list-account-json", "list", "--json", settled=True),
    _read("list-account-prefix", "list", "--prefix", "b"),
    _read("list-container", "list", "photos"),
    _read("list-container-long", "list", "--long", "photos"),
    _read("list-container-lh", "list", "--lh", "big"),
    _read("list-container-totals", "list", "--lh", "--totals", "photos"),
    _read("list-prefix", "list", "photos", "--prefix", "tree/b"),
    _read("list-delimiter", "list", "photos", "--delimiter", "/"),
    _read("list-prefix-delimiter", "list", "photos", "-p", "tree/", "-d", "/"),
    _read("list-json", "list", "--json", "docs"),
    _read("list-segments", "list", "big_segments"),
    # ------------------------------------------------------------------ stat
    _read("stat-account", "stat", settled=True),
    _read("stat-account-lh", "stat", "--lh", settled=True),
    _read("stat-container", "stat", "photos"),
    _read("stat-object", "stat", "docs", "notes.txt"),
    _read("stat-slo-lh", "stat", "--lh", "big", "big.bin"),
    _read("stat-dlo", "stat", "big", "big2.bin"),
    # ------------------------------------------------------------------ post
    _change("post-account-meta", "post", "-m", "Team:Blue"),
    _change("post-container-acl", "post", "-r", ".r:*,.rlistings", "-w", "someone:else",
            "photos"),
    _change("post-container-meta", "post", "-m", "Color:Red", "-H", "X-Container-Meta-Rating:5",
            "photos"),
    _change("post-object", "post", "-m", "Kind:Picture", "-H", "Content-Type:image/x-test",
            "photos", "tree/a.txt"),
    _change("post-creates-container", "post", "made-by-post"),
    _read("stat-account-after-post", "stat", settled=True),
    _read("stat-container-after-post", "stat", "photos"),
    _read("stat-object-after-post", "stat", "photos", "tree/a.txt"),
    # -------------------------------------------------------------- download
    _download("download-container", "photos", "-D", "out"),
    _download("download-prefix", "photos", "--prefix", "tree/b", "-D", "out-prefix"),
    _download("download-remove-prefix", "photos", "--prefix", "tree/", "--remove-prefix",
              "-D", "out-removed"),
    _download("download-output-file", "docs", "notes.txt", "-o", "single.txt"),
    _download("download-stdout", "docs", "notes.txt", "-o", "-"),
    _download("download-skip-identical", "photos", "--skip-identical", "-D", "out"),
    _download("download-range", "docs", "notes.txt", "-H", "Range:bytes=0-3", "-o", "range.txt"),
    _download("download-no-download", "photos", "--no-download"),
    _download("download-slo", "big", "big.bin", "-o", "big-copy.bin"),
    _download("download-dlo", "big", "big2.bin", "-D", "out-big"),
    _download("download-objects", "photos", "tree/a.txt", "tree/b/c.txt", "-D", "two"),
    _download("download-all", "--all", "-D", "everything"),
    # ------------------------------------------------------------------ copy
    _change("copy-to-object", "copy", "photos", "tree/a.txt", "-d", "/copies/a-copy.txt"),
    _change("copy-to-container", "copy", "photos", "tree/b/c.txt", "tree/d/e/f.txt",
            "-d", "/copies"),
    _change("copy-fresh-metadata", "copy", "-M", "-m", "Fresh:yes", "photos", "tree/a.txt",
            "-d", "/copies/fresh.txt"),
    _change("copy-onto-itself", "copy", "-m", "Touched:yes", "docs", "notes.txt"),
    _change("copy-slo", "copy", "big", "big.bin", "-d", "/copies/big.bin"),
    # ---------------------------------------------------------- capabilities
    _read("capabilities", "capabilities"),
    _read("capabilities-json", "capabilities", "--json"),
    _read("capabilities-proxy-url", "capabilities", "{proxy}"),
    _read("capabilities-storage-url", "info", "--json", "{storage}"),
    # ---------------------------------------------------------------- errors
    _read("error-stat-missing-object", "stat", "docs", "no-such-object"),
    _read("error-stat-missing-container", "stat", "no-such-container"),
    _read("error-list-missing-container", "list", "no-such-container"),
    _download("error-download-missing-object", "docs", "no-such-object"),
    _download("error-download-missing-container", "no-such-container"),
    _change("error-post-missing-object", "post", "-m", "A:b", "docs", "no-such-object"),
    _change("error-copy-missing-object", "copy", "docs", "no-such-object", "-d", "/copies"),
    _change("error-delete-missing-object", "delete", "docs", "no-such-object"),
    _change("error-delete-missing-container", "delete", "no-such-container"),
    # -R 0: swiftclient would wait out its backoff before failing again
    _read("error-wrong-key-stat", "-K", "wrong", "-R", "0", "stat",
          deliberate=AUTH_ERROR_WORDS),
    _read("error-wrong-key-list", "-K", "wrong", "-R", "0", "list",
          deliberate=AUTH_ERROR_WORDS),
    _change("error-wrong-key-upload", "-K", "wrong", "-R", "0", "upload", "docs", "notes.txt",
            deliberate=AUTH_ERROR_WORDS),
    # ---------------------------------------------------------------- delete
    _change("delete-object", "delete", "docs", "renamed.txt"),
    _change("delete-prefix", "delete", "photos", "--prefix", "gallery/"),
    _change("delete-slo", "delete", "big", "big.bin"),
    _change("delete-dlo-leave-segments", "delete", "--leave-segments", "big", "big2.bin"),
    _change("delete-bulk-container", "delete", "many"),
    _change("delete-container", "delete", "copies"),
    _read("list-after-delete", "list", "--long", settled=True),
    _change("delete-all", "delete", "--all"),
    _read("list-after-delete-all", "list"),
)
