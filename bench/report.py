"""RESULTS.md and chart.png from the raw runs of ``run.py`` (``results.json``).

    .venv/bin/python bench/report.py [bench/results.json]   # regenerate both

Medians over rounds; ratios are swiftsvc / swiftclient and swiftsvc / floor
(throughput: higher is better; CPU and RSS: lower is better); at CLI level,
the swiftsvc command over the swift command and over rclone. The section
between the ``analysis`` markers of an existing RESULTS.md is hand-written
(profiling findings) and is carried over when the file is regenerated.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
ANALYSIS_START = "<!-- analysis:start (hand-written, kept when regenerated) -->"
ANALYSIS_END = "<!-- analysis:end -->"
_DEFAULT_ANALYSIS = "Not written yet: run a profile of the missed targets (see Method)."


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    unit: str  # "objects/s" or "MB/s"

    def label(self, config: Mapping[str, Any]) -> str:
        return self.title.format(
            small=config.get("small_count", "?"),
            large=_size(config.get("large_size", 0)),
            segment=_size(config.get("segment_size", 0)),
            big=config.get("big_count", "?"),
        )

    def rate(self, run: Mapping[str, Any]) -> float:
        wall = float(run.get("wall") or 0)
        if wall <= 0:
            return 0.0
        if self.unit == "MB/s":
            return float(run.get("bytes", 0)) / wall / 1e6
        return float(run.get("ok", 0)) / wall


PARTS = (
    Part("small_upload", "upload {small} x 4 KiB (a folder)", "objects/s"),
    Part("small_upload_items", "upload {small} x 4 KiB (one UploadObject each)", "objects/s"),
    Part("small_download", "download {small} x 4 KiB", "objects/s"),
    Part("small_delete", "delete {small} x 4 KiB", "objects/s"),
    Part("large_upload", "upload {large} SLO ({segment} segments)", "MB/s"),
    Part("large_download", "download {large} SLO", "MB/s"),
    Part("big_download", "download {big} zero-byte objects", "objects/s"),
    Part("big_delete", "delete {big} objects", "objects/s"),
)
# the same workloads through the command-line tools (``run.py --only cli``)
CLI_PARTS = (
    Part("cli_small_upload", "upload {small} x 4 KiB (a folder)", "objects/s"),
    Part("cli_small_download", "download {small} x 4 KiB", "objects/s"),
    Part("cli_small_delete", "delete {small} x 4 KiB", "objects/s"),
    Part("cli_large_upload", "upload {large} ({segment} segments)", "MB/s"),
    Part("cli_large_download", "download that {large} SLO", "MB/s"),
)
PART_BY_KEY = {part.key: part for part in PARTS + CLI_PARTS}
CLIENTS = ("swiftsvc", "swiftsvc-batch", "swiftclient", "floor")
# the commands, and how the report names them
CLI_CLIENTS = {"swiftsvc-cli": "swiftsvc", "swift-cli": "swift", "rclone": "rclone"}


# ---- collecting ---------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the numbers come from: CPU, cores, Python, library versions, commit."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=HERE.parent, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    from swiftsvc.testing import _venv

    commit = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "--", "swiftsvc"):
        commit += " + uncommitted changes"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "swift": _venv.SWIFT_VENV.name,
        "python-swiftclient": version("python-swiftclient"),
        "swiftsvc": f"{version('swiftsvc')} ({commit})",
        "loadavg_before": os.getloadavg(),
    }


def describe(run: Mapping[str, Any]) -> str:
    """One line for the progress log."""
    part = PART_BY_KEY.get(str(run.get("part")))
    text = f"{run.get('wall', 0):.2f} s"
    if part is not None:
        text += f", {part.rate(run):.1f} {part.unit}"
    text += f", cpu {run.get('cpu', 0):.2f} s, peak rss {run.get('maxrss_kib', 0) / 1024:.0f} MiB"
    text += f", ok {run.get('ok', 0)}"
    if run.get("failed"):
        text += f", FAILED {run['failed']}: {run.get('first_error')}"
    return text


@dataclass(frozen=True)
class Summary:
    rate: float
    cpu: float
    server_cpu: float
    rss_mib: float
    rounds: int
    failed_rounds: int
    rss_growth_mib: float | None
    first_error: str | None


def _growth(samples: Sequence[Sequence[float]]) -> float | None:
    """Peak RSS of the second half of a run minus that of the first half (MiB)."""
    if len(samples) < 4:
        return None
    half = len(samples) // 2
    first = max(rss for _, rss in samples[:half])
    second = max(rss for _, rss in samples[half:])
    return (second - first) / 1024


def summarize(runs: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Summary]:
    """Medians over rounds per (part, client); failed rounds are left out of the medians."""
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        grouped.setdefault((run["part"], run["client"]), []).append(run)
    summaries: dict[tuple[str, str], Summary] = {}
    for (key, client), group in grouped.items():
        part = PART_BY_KEY.get(key)
        if part is None:
            continue
        good = [run for run in group if not run.get("failed")]
        errors = [run.get("first_error") for run in group if run.get("failed")]
        growths = [
            g for g in (_growth(run.get("rss_samples") or []) for run in good) if g is not None
        ]
        summaries[(key, client)] = Summary(
            rate=statistics.median(part.rate(run) for run in good) if good else 0.0,
            cpu=statistics.median(float(run["cpu"]) for run in good) if good else 0.0,
            server_cpu=(
                statistics.median(float(run.get("server_cpu", 0)) for run in good) if good else 0.0
            ),
            rss_mib=max(int(run["maxrss_kib"]) for run in good) / 1024 if good else 0.0,
            rounds=len(group),
            failed_rounds=len(group) - len(good),
            rss_growth_mib=max(growths) if growths else None,
            first_error=str(errors[0]) if errors else None,
        )
    return summaries


def _load(values: Sequence[float] | None) -> str:
    return " / ".join(f"{v:.1f}" for v in values) if values else "n/a"


def _growth_of(summary: Summary | None) -> float | None:
    return summary.rss_growth_mib if summary else None


def _ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return a / b


def _fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{suffix}"


# ---- targets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured


def targets(results: Mapping[str, Any], sums: Mapping[tuple[str, str], Summary]) -> list[Target]:
    def get(part: str, client: str) -> Summary | None:
        found = sums.get((part, client))
        return found if found and found.failed_rounds < found.rounds else None

    out: list[Target] = []

    def speedup(part: str, client: str, goal: float, name: str) -> None:
        mine, theirs = get(part, client), get(part, "swiftclient")
        ratio = _ratio(mine.rate if mine else None, theirs.rate if theirs else None)
        out.append(
            Target(
                name,
                f">= {goal:.1f}x swiftclient",
                _fmt(ratio, 2, "x"),
                None if ratio is None else ratio >= goal,
            )
        )

    speedup("small_upload", "swiftsvc", 1.5, "small uploads, objects/s")
    speedup("small_download", "swiftsvc", 1.2, "small downloads, objects/s")
    speedup("small_delete", "swiftsvc", 1.2, "small deletes, objects/s")
    speedup("small_upload", "swiftsvc-batch", 5.0, "small uploads, batch=True (issue 9)")
    large = _size(results["config"].get("large_size", 0))
    for part, label in (
        ("large_upload", f"{large} SLO upload"),
        ("large_download", f"{large} SLO download"),
    ):
        speedup(part, "swiftsvc", 1.0, f"{label}, MB/s")
        mine, theirs = get(part, "swiftsvc"), get(part, "swiftclient")
        ratio = _ratio(mine.cpu if mine else None, theirs.cpu if theirs else None)
        out.append(
            Target(
                f"{label}, client CPU",
                "<= 0.6x swiftclient",
                _fmt(ratio, 2, "x"),
                None if ratio is None else ratio <= 0.6,
            )
        )
    # issue 19: as a user runs them, against python-swiftclient's ``swift`` command
    def against_swift(part: str, name: str, goal: float, *, cpu: bool = False) -> None:
        mine, theirs = get(part, "swiftsvc-cli"), get(part, "swift-cli")
        if cpu:
            ratio = _ratio(mine.cpu if mine else None, theirs.cpu if theirs else None)
            met = None if ratio is None else ratio <= goal
            goal_text = f"<= {goal:.1f}x swift"
        else:
            ratio = _ratio(mine.rate if mine else None, theirs.rate if theirs else None)
            met = None if ratio is None else ratio >= goal
            goal_text = f">= {goal:.1f}x swift"
        out.append(Target(f"CLI: {name} (issue 19)", goal_text, _fmt(ratio, 2, "x"), met))

    against_swift("cli_large_download", f"{large} SLO download, MB/s", 1.2)
    against_swift("cli_large_download", f"{large} SLO download, client CPU", 1.2, cpu=True)
    against_swift("cli_large_upload", f"{large} SLO upload, MB/s", 1.2)
    against_swift("cli_small_download", "small downloads, objects/s", 1.0)
    against_swift("cli_small_delete", "small deletes, objects/s", 1.0)
    count = results["config"].get("big_count", 0)
    for part in ("big_download", "big_delete"):
        mine = get(part, "swiftsvc")
        label = f"peak RSS, {part.split('_')[1]} of {count} objects"
        if mine is None:
            out.append(Target(label, "< 100 MiB and flat", "n/a", None))
            continue
        growth = mine.rss_growth_mib
        flat = growth is not None and growth < 10
        out.append(
            Target(
                label,
                "< 100 MiB and flat",
                f"{mine.rss_mib:.0f} MiB (2nd half vs 1st: {_fmt(growth, 1, ' MiB')})",
                mine.rss_mib < 100 and flat,
            )
        )
    auth = results.get("auth", {}).get("swiftsvc")
    if auth and not auth.get("failed"):
        out.append(
            Target(
                "auth requests per Service, 40 threads",
                "1",
                str(auth["auth_requests"]),
                auth["auth_requests"] == 1,
            )
        )
    else:
        out.append(Target("auth requests per Service, 40 threads", "1", "n/a", None))
    return out


# ---- writing ------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _cell(summary: Summary | None, value: Callable[[Summary], float], digits: int = 1) -> str:
    if summary is None:
        return "-"
    if summary.failed_rounds == summary.rounds:
        return "failed"
    text = _fmt(value(summary), digits)
    if summary.failed_rounds:
        text += f" ({summary.failed_rounds}/{summary.rounds} failed)"
    return text


def _analysis(existing: Path) -> str:
    try:
        text = existing.read_text()
    except OSError:
        return _DEFAULT_ANALYSIS
    start, end = text.find(ANALYSIS_START), text.find(ANALYSIS_END)
    if start < 0 or end < start:
        return _DEFAULT_ANALYSIS
    return text[start + len(ANALYSIS_START) : end].strip("\n")


def markdown(results: Mapping[str, Any], analysis: str) -> str:
    sums = summarize(results["runs"])
    cfg, info = results["config"], results["machine"]

    def s(part: str, client: str) -> Summary | None:
        return sums.get((part, client))

    lines = [
        "# Benchmarks: swiftsvc against python-swiftclient",
        "",
        "Generated by `make bench` (`bench/run.py`, report by `bench/report.py`) "
        f"on {info['date']}.",
        "",
        f"- Machine: {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, {info['platform']}",
        f"- Server: one local OpenStack Swift ({info['swift']}, `swiftsvc.testing.LocalSwift`, "
        "`workers = 0`, memcached) with its devices on tmpfs, on the same machine as the client",
        f"- Clients: swiftsvc {info['swiftsvc']}; python-swiftclient {info['python-swiftclient']} "
        f"`SwiftService`; the floor is plain `http.client` (`bench/floor.py`)",
        f"- {cfg['threads']} threads in every pool of both libraries "
        f"(and {cfg['threads']} in the floor); "
        f"median of {cfg['rounds']} interleaved rounds; each run in a fresh process; "
        f"whole run took {cfg.get('total_seconds', 0) / 60:.0f} min",
        f"- Load average (1, 5, 15 min) before the run {_load(info.get('loadavg_before'))}, "
        f"after {_load(info.get('loadavg_after'))}: other work on the machine makes "
        "every client slower alike; the interleaved rounds spread it over all of them",
        "",
    ]
    load = info.get("loadavg_before") or [0.0]
    if load[0] > info["nproc"]:
        lines += [
            f"**The machine was busy** (load {load[0]:.1f} on {info['nproc']} CPUs when the run "
            "started): absolute rates are low and noisy; compare the ratios only.",
            "",
        ]
    if results.get("unavailable"):
        lines.append("Left out (failed a smoke test before the runs):")
        lines += [f"- {client}: {why}" for client, why in results["unavailable"].items()]
        lines.append("")
    lines += ["## Targets", ""]
    marks = {True: "met", False: "**missed**", None: "not measured"}
    lines += _table(
        ["target", "goal", "measured", ""],
        ([t.name, t.goal, t.measured, marks[t.met]] for t in targets(results, sums)),
    )
    lines += ["", "## Throughput (median)", ""]
    rows = []
    for part in PARTS:
        if not any((part.key, client) in sums for client in CLIENTS):
            continue
        title = part.label(cfg)
        mine = s(part.key, "swiftsvc")
        rate = mine.rate if mine and mine.failed_rounds < mine.rounds else None
        theirs, raw = s(part.key, "swiftclient"), s(part.key, "floor")
        rows.append(
            [
                title,
                part.unit,
                _cell(mine, lambda x: x.rate),
                _cell(s(part.key, "swiftsvc-batch"), lambda x: x.rate),
                _cell(theirs, lambda x: x.rate),
                _cell(raw, lambda x: x.rate),
                _fmt(_ratio(rate, theirs.rate if theirs else None), 2, "x"),
                _fmt(_ratio(rate, raw.rate if raw else None), 2, "x"),
            ]
        )
    lines += _table(
        [
            "workload",
            "unit",
            "swiftsvc",
            "swiftsvc batch",
            "swiftclient",
            "floor",
            "swiftsvc / swiftclient",
            "swiftsvc / floor",
        ],
        rows,
    )
    lines += [
        "",
        "## Client CPU seconds (user + sys, median) and peak RSS (MiB, largest of the rounds)",
        "",
    ]
    rows = []
    for part in PARTS:
        if not any((part.key, client) in sums for client in CLIENTS):
            continue
        mine, theirs = s(part.key, "swiftsvc"), s(part.key, "swiftclient")
        cpu = mine.cpu if mine and mine.failed_rounds < mine.rounds else None
        rss = mine.rss_mib if mine and mine.failed_rounds < mine.rounds else None
        rows.append(
            [
                part.label(cfg),
                _cell(mine, lambda x: x.cpu, 2),
                _cell(theirs, lambda x: x.cpu, 2),
                _cell(s(part.key, "floor"), lambda x: x.cpu, 2),
                _fmt(_ratio(cpu, theirs.cpu if theirs else None), 2, "x"),
                _cell(mine, lambda x: x.rss_mib, 0),
                _cell(theirs, lambda x: x.rss_mib, 0),
                _cell(s(part.key, "floor"), lambda x: x.rss_mib, 0),
                _fmt(_ratio(rss, theirs.rss_mib if theirs else None), 2, "x"),
            ]
        )
    lines += _table(
        [
            "workload",
            "CPU swiftsvc",
            "CPU swiftclient",
            "CPU floor",
            "CPU ratio",
            "RSS swiftsvc",
            "RSS swiftclient",
            "RSS floor",
            "RSS ratio",
        ],
        rows,
    )
    lines += [
        "",
        "## Server CPU seconds (all Swift processes, median)",
        "",
        "Client and servers share the machine's CPUs: on small objects the servers' work per "
        "request bounds the rate, so every request a client avoids, and every CPU second it "
        "does not take from the servers, counts.",
        "",
    ]
    lines += _table(
        ["workload", *(f"server CPU with {c}" for c in CLIENTS)],
        (
            [part.label(cfg), *(_cell(s(part.key, c), lambda x: x.server_cpu, 1) for c in CLIENTS)]
            for part in PARTS
            if any((part.key, c) in sums for c in CLIENTS)
        ),
    )
    lines += [
        "",
        f"Peak RSS growth on the {cfg['big_count']}-object container (largest RSS sample of the "
        "second half of the run minus that of the first half; sampled every 0.25 s; "
        "flat means under 10 MiB):",
        "",
    ]
    lines += _table(
        ["workload", "swiftsvc", "swiftclient"],
        (
            [
                PART_BY_KEY[key].label(cfg),
                _fmt(_growth_of(s(key, "swiftsvc")), 1, " MiB"),
                _fmt(_growth_of(s(key, "swiftclient")), 1, " MiB"),
            ]
            for key in ("big_download", "big_delete")
        ),
    )
    lines += [
        "",
        "## Requests the client sent (first good round, from the proxy's access log)",
        "",
    ]
    rows = []
    for part in PARTS:
        cells = [part.label(cfg)]
        for client in CLIENTS:
            run = next(
                (
                    r
                    for r in results["runs"]
                    if r["part"] == part.key and r["client"] == client and not r.get("failed")
                ),
                None,
            )
            counts = run.get("requests") if run else None
            cells.append(
                ", ".join(f"{m} {n}" for m, n in sorted(counts.items())) if counts else "-"
            )
        if any(cell != "-" for cell in cells[1:]):
            rows.append(cells)
    lines += _table(["workload", *CLIENTS], rows)
    lines += cli_section(results, sums)
    lines += ["", "## Auth requests per Service", ""]
    auth = results.get("auth") or {}
    if auth:
        lines.append(
            f"One Service with {cfg['auth_threads']} threads in every pool uploads then downloads "
            f"{cfg.get('auth_objects', 400)} x 4 KiB objects (a folder) through "
            "`swiftsvc.testing.FaultProxy`, which counts the requests to `/auth/v1.0`."
        )
        lines.append("")
        lines += _table(
            ["client", "auth requests", "all requests", "failed sub-operations"],
            (
                [c, str(v["auth_requests"]), str(v["requests"]), str(v["failed"])]
                for c, v in auth.items()
            ),
        )
    else:
        lines.append("Not measured in this run.")
    lines += [
        "",
        "## Chart",
        "",
        "![throughput relative to python-swiftclient, client CPU and peak RSS](chart.png)",
        "",
        "## What remains and why",
        "",
        ANALYSIS_START,
        analysis,
        ANALYSIS_END,
        "",
        "## Method",
        "",
        "- `make bench` = `.venv/bin/python bench/run.py`: starts a LocalSwift on `/dev/shm`, "
        "creates 2000 random 4 KiB files and a random 1 GiB file there, checks each client "
        "with a tiny upload/download/delete, then runs every workload for every client, "
        "rotating the client order each round.",
        "- Each run is `bench/workloads.py` in a fresh Python process; the measured block "
        "starts after imports and covers creating the Service (so auth is included), the "
        "whole call and leaving the Service. CPU is `getrusage(RUSAGE_SELF)` user + sys over "
        "that block. Peak RSS is the process's high-water mark `VmHWM` from "
        "`/proc/self/status`: Linux carries `ru_maxrss` over `execve`, so a child of a "
        "large parent would report the parent's peak.",
        "- Objects for the download and delete workloads are created beforehand with bulk "
        "`extract-archive` tar PUTs (not measured). Deletes delete the whole container "
        "(`delete(container)`): both libraries list it and use bulk delete.",
        "- Default options of both libraries otherwise (checksums on; swiftclient HEADs "
        "each object before its PUT unless told not to).",
        "- The floor makes the minimal requests of each workload with `http.client`: "
        "no retries, no MD5, 10 threads with one keep-alive connection each.",
        f"- The big container has {cfg['big_count']} zero-byte objects "
        "(`--full`: 200000; default 20000 to keep the run short).",
        "- Time per part of this run (setup included): "
        + (
            ", ".join(f"{k} {v / 60:.1f} min" for k, v in cfg.get("part_seconds", {}).items())
            or "n/a"
        )
        + ". Rates of the big container come from "
        f"{cfg.get('big_rounds', 1)} round(s): indicative only; its point is the RSS.",
        "- CLI level (`cli` part, `bench/commands.py`): each run is the command itself in a "
        "fresh process, its wall time from start to exit; client CPU is that process's user + "
        "sys time (`wait4`), peak RSS its `VmHWM` polled every 20 ms from `/proc` "
        "(`ru_maxrss` would carry the launcher's peak over `execve`). rclone is configured "
        "only by `RCLONE_CONFIG_BENCH_*` variables (swift, v1 auth; `RCLONE_CONFIG=/dev/null`). "
        "The download sources are made beforehand (tar PUTs; the large one an SLO by the "
        "floor); the deletes delete the containers the uploads made. The harness verifies each "
        "run after counting its requests, so the checks' own requests are not counted.",
        "- Benchmarks are never run by the test suite. Regenerate this page from "
        "`bench/results.json` with `.venv/bin/python bench/report.py`.",
        "",
        "## All runs",
        "",
    ]
    lines += _table(
        ["workload", "client", "round", "wall s", "rate", "CPU s", "peak RSS MiB", "ok", "failed"],
        (
            [
                r["part"],
                r["client"],
                str(r["round"]),
                _fmt(r.get("wall"), 2),
                _fmt(PART_BY_KEY[r["part"]].rate(r), 1) if r["part"] in PART_BY_KEY else "",
                _fmt(r.get("cpu"), 2),
                _fmt(r.get("maxrss_kib", 0) / 1024, 0),
                str(r.get("ok", 0)),
                str(r.get("failed", 0)) + (f" ({r.get('first_error')})" if r.get("failed") else ""),
            ]
            for r in results["runs"]
            if r["part"] in PART_BY_KEY
        ),
    )
    return "\n".join(lines) + "\n"


def _first_good(runs: Iterable[Mapping[str, Any]], part: str, client: str) -> Mapping[str, Any]:
    return next(
        (r for r in runs if r["part"] == part and r["client"] == client and not r.get("failed")),
        {},
    )


def _trio(sums: Mapping[tuple[str, str], Summary], part: str, value: Callable[[Summary], float],
          digits: int) -> str:  # fmt: skip
    return ", ".join(_cell(sums.get((part, client)), value, digits) for client in CLI_CLIENTS)


def cli_section(results: Mapping[str, Any], sums: Mapping[tuple[str, str], Summary]) -> list[str]:
    """The CLI-level tables: the swiftsvc, swift and rclone commands side by side."""
    cfg, info, runs = results["config"], results["machine"], results["runs"]
    lines = ["", "## CLI level: the swiftsvc, swift and rclone commands (median)", ""]
    parts = [p for p in CLI_PARTS if any((p.key, c) in sums for c in CLI_CLIENTS)]
    if not parts:
        return [*lines, "Not measured in this run (`bench/run.py --only cli`)."]
    threads = cfg["threads"]
    lines += [
        "The same workloads as a user runs them: `.venv/bin/swiftsvc` (this project), "
        f"`.venv/bin/swift` (python-swiftclient {info.get('python-swiftclient', '?')}) and "
        f"rclone ({info.get('rclone', 'version not recorded')}), each run a fresh process of the "
        f"command with {threads} threads (`--object-threads`/`--segment-threads`/"
        f"`--container-threads {threads}`; rclone `--transfers {threads} --checkers {threads}`), "
        f"median of {cfg['rounds']} interleaved rounds. Wall time is the whole process, "
        "start-up included. A run counts only after the harness verified it the same way for "
        "every command: uploaded objects (or each segment) carry the MD5 of the local bytes, "
        "downloaded files equal the source byte for byte, a deleted container is gone or empty. "
        "Ratios are swiftsvc's throughput over the other command's (higher is better).",
        "",
    ]
    for client, why in (results.get("unavailable") or {}).items():
        if client in CLI_CLIENTS:
            lines += [f"**{CLI_CLIENTS[client]} unavailable**: {why}.", ""]

    def rate(part: str, client: str) -> float | None:
        found = sums.get((part, client))
        return found.rate if found and found.failed_rounds < found.rounds else None

    rows = []
    for part in parts:
        mine = rate(part.key, "swiftsvc-cli")
        rows.append(
            [
                part.label(cfg),
                part.unit,
                *(_cell(sums.get((part.key, c)), lambda x: x.rate) for c in CLI_CLIENTS),
                _fmt(_ratio(mine, rate(part.key, "swift-cli")), 2, "x"),
                _fmt(_ratio(mine, rate(part.key, "rclone")), 2, "x"),
                _trio(sums, part.key, lambda x: x.cpu, 2),
                _trio(sums, part.key, lambda x: x.rss_mib, 0),
                _trio(sums, part.key, lambda x: x.server_cpu, 1),
            ]
        )
    lines += _table(
        [
            "workload",
            "unit",
            *CLI_CLIENTS.values(),
            "swiftsvc / swift",
            "swiftsvc / rclone",
            "client CPU s: swiftsvc, swift, rclone",
            "peak RSS MiB: swiftsvc, swift, rclone",
            "server CPU s: swiftsvc, swift, rclone",
        ],
        rows,
    )
    kinds = []
    for client, label in CLI_CLIENTS.items():
        run = _first_good(runs, "cli_large_upload", client)
        if run.get("large_object"):
            kinds.append(
                f"{label} a {run['large_object']} of {run.get('segments')} segments, "
                f"at most {run.get('peak_parallel_puts', '?')} PUT(s) at a time"
            )
    if kinds:
        lines += [
            "",
            "What each command made of the large upload (the kind read back from the object, "
            "the PUTs in flight from the proxy log's start and end times): "
            + "; ".join(kinds)
            + ".",
        ]
    if _first_good(runs, "cli_large_upload", "rclone").get("large_object") == "DLO":
        lines[-1] += (
            " rclone has no SLO upload: `--swift-chunk-size` makes a DLO (`X-Object-Manifest`), "
            "and `--transfers` spreads files, not the segments of one."
        )
    lines += ["", "Requests each command sent (first good round, from the proxy's access log):", ""]
    rows = []
    for part in parts:
        cells = [part.label(cfg)]
        for client in CLI_CLIENTS:
            counts = _first_good(runs, part.key, client).get("requests")
            cells.append(
                ", ".join(f"{m} {n}" for m, n in sorted(counts.items())) if counts else "-"
            )
        rows.append(cells)
    lines += _table(["workload", *CLI_CLIENTS.values()], rows)
    lines += ["", "The command lines (first good round; `<key>`: the password):", ""]
    rows = []
    for part in parts:
        for client, label in CLI_CLIENTS.items():
            argv = _first_good(runs, part.key, client).get("argv")
            if argv:
                rows.append([part.label(cfg), label, "`" + " ".join(argv) + "`"])
    lines += _table(["workload", "command", "command line"], rows)
    return lines


def chart(results: Mapping[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sums = summarize(results["runs"])
    parts = [p for p in PARTS if (p.key, "swiftclient") in sums]
    cli_parts = [p for p in CLI_PARTS if (p.key, "swiftsvc-cli") in sums]
    rows = (3 if parts else 0) + (2 if cli_parts else 0)
    fig, axes = plt.subplots(max(rows, 1), 1, figsize=(11, 4 * max(rows, 1)), squeeze=False)
    column = [axis for (axis,) in axes]
    if parts:
        _api_axes(results, sums, parts, column[:3])
    if cli_parts:
        _cli_axes(results, sums, cli_parts, column[-2:])
    info = results["machine"]
    fig.suptitle(
        f"swiftsvc vs python-swiftclient (and rclone, CLI level), local Swift, "
        f"{info['nproc']} CPUs, Python {info['python']}, {info['date']}",
        fontsize=10,
    )
    # room at the top for the title
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _api_axes(
    results: Mapping[str, Any],
    sums: Mapping[tuple[str, str], Summary],
    parts: Sequence[Part],
    axes: Sequence[Any],
) -> None:
    labels = [p.label(results["config"]).replace(" (64 MiB segments)", "") for p in parts]
    shown = ("swiftsvc", "swiftsvc-batch", "swiftclient", "floor")
    colors = {
        "swiftsvc": "#1f77b4",
        "swiftsvc-batch": "#17becf",
        "swiftclient": "#ff7f0e",
        "floor": "#7f7f7f",
    }
    width = 0.2
    # (title, value, relative to swiftclient, log scale)
    metrics: list[tuple[str, Callable[[Summary], float], bool, bool]] = [
        ("throughput relative to swiftclient (higher is better)", lambda x: x.rate, True, False),
        (
            "client CPU seconds relative to swiftclient (lower is better; log scale)",
            lambda x: x.cpu,
            True,
            True,
        ),
        ("peak RSS, MiB (lower is better)", lambda x: x.rss_mib, False, False),
    ]
    for axis, (title, value, relative, log) in zip(axes, metrics, strict=True):
        for offset, client in enumerate(shown):
            heights = []
            for part in parts:
                mine, base = sums.get((part.key, client)), sums[(part.key, "swiftclient")]
                ok = mine is not None and mine.failed_rounds < mine.rounds
                height = value(mine) if ok and mine else 0.0
                if relative:
                    height = height / value(base) if value(base) else 0.0
                heights.append(height)
            if not any(heights):
                continue
            positions = [i + (offset - 1.5) * width for i in range(len(parts))]
            bars = axis.bar(positions, heights, width, label=client, color=colors[client])
            if relative:
                axis.bar_label(bars, labels=[f"{h:.2f}" if h else "" for h in heights], fontsize=7)
        if relative:
            axis.axhline(1.0, color="black", linewidth=0.8)
        if log:
            _log_scale(axis)
        axis.set_title(title)
        axis.set_xticks(range(len(parts)))
        axis.set_xticklabels(labels, rotation=15, ha="right", fontsize=8)
        axis.legend(fontsize=8)


def _log_scale(axis: Any) -> None:
    from matplotlib.ticker import FormatStrFormatter

    axis.set_yscale("log")
    # plain numbers (0.5, 2) rather than powers of ten on the ratio axes; the minor
    # ticks labelled only within one decade, where there are no major ones to read
    axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    low, high = axis.get_ylim()
    if low > 0 and high / low < 10:
        axis.yaxis.set_minor_formatter(FormatStrFormatter("%g"))


def _cli_axes(
    results: Mapping[str, Any],
    sums: Mapping[tuple[str, str], Summary],
    parts: Sequence[Part],
    axes: Sequence[Any],
) -> None:
    """swiftsvc's command over swift's and over rclone: throughput, then client CPU."""
    labels = [p.label(results["config"]).replace(" (64 MiB segments)", "") for p in parts]
    colors = {"swift-cli": "#ff7f0e", "rclone": "#2ca02c"}
    width = 0.35
    metrics: list[tuple[str, Callable[[Summary], float], bool]] = [
        ("CLI level: swiftsvc's throughput over each command's (higher is better)",
         lambda x: x.rate, False),
        ("CLI level: swiftsvc's client CPU over each command's (lower is better; log scale)",
         lambda x: x.cpu, True),
    ]  # fmt: skip
    for axis, (title, value, log) in zip(axes, metrics, strict=True):
        for offset, other in enumerate(colors):
            heights = []
            for part in parts:
                mine, theirs = sums.get((part.key, "swiftsvc-cli")), sums.get((part.key, other))
                good = [s for s in (mine, theirs) if s is not None and s.failed_rounds < s.rounds]
                ratio = _ratio(value(mine), value(theirs)) if mine and theirs else None
                heights.append(ratio if len(good) == 2 and ratio else 0.0)
            if not any(heights):
                continue
            positions = [i + (offset - 0.5) * width for i in range(len(parts))]
            bars = axis.bar(
                positions, heights, width, label=f"swiftsvc / {CLI_CLIENTS[other]}",
                color=colors[other],
            )  # fmt: skip
            axis.bar_label(bars, labels=[f"{h:.2f}" if h else "" for h in heights], fontsize=7)
        axis.axhline(1.0, color="black", linewidth=0.8)
        if log:
            _log_scale(axis)
        axis.set_title(title)
        axis.set_xticks(range(len(parts)))
        axis.set_xticklabels(labels, rotation=15, ha="right", fontsize=8)
        axis.legend(fontsize=8)


def write(results: Mapping[str, Any], out: Path) -> None:
    target = out / "RESULTS.md"
    text = markdown(results, _analysis(target))
    target.write_text(text)
    chart(results, out / "chart.png")


def main(argv: Sequence[str]) -> int:
    source = Path(argv[0]) if argv else HERE / "results.json"
    write(json.loads(source.read_text()), source.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
