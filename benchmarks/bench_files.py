"""Peak memory of a large upload and download, with Bot and AsyncBot, against the emulator.

Not a timed test: it checks that files stream. Each case runs in a fresh
subprocess that starts the emulator (in the same process, so the server's
memory counts too), warms every code path up with a 1 MB round trip, then
resets the kernel's peak-RSS mark and transfers the big file. The reported
increase is the peak during the transfer minus the RSS just before it; the
baseline cases do the same with a 1 MB file, in the same run.

    python benchmarks/bench_files.py            # 300 MB, target: under 30 MB increase
    python benchmarks/bench_files.py --size-mb 50

Linux only (it reads /proc/self/status).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MB = 30
CASES = (
    "baseline-sync",
    "baseline-async",
    "upload-sync",
    "upload-async",
    "download-sync",
    "download-async",
)
MB = 1024 * 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _write_random_file(path: Path, size: int) -> None:
    with path.open("wb") as file:
        for _ in range(size // MB):
            file.write(os.urandom(MB))
        file.write(os.urandom(size % MB))


def run_case(case: str, big: Path, small: Path, workdir: Path) -> dict[str, object]:
    from telebridge import AsyncBot, Bot, InputFile
    from telebridge.testing import BotAPIEmulator

    kind, _, transport = case.partition("-")
    timeout = 120.0

    with BotAPIEmulator() as emulator:
        subject = small if kind == "baseline" else big

        def sync_case() -> dict[str, object]:
            with Bot(emulator.token, base_url=emulator.base_url, timeout=timeout) as bot:
                warm = bot.call("sendDocument", {"chat_id": 1, "document": InputFile(small)})
                bot.download(warm["document"]["file_id"], workdir / "warm.bin")
                stored = None
                if kind == "download":
                    stored = bot.call("sendDocument", {"chat_id": 1, "document": InputFile(big)})
                before = prepare()
                started = time.perf_counter()
                if stored is not None:
                    bot.download(stored["document"], workdir / "out.bin")
                else:
                    bot.call("sendDocument", {"chat_id": 1, "document": InputFile(subject)})
                    if kind == "baseline":
                        bot.download(emulator.sent_messages[-1]["document"], workdir / "out.bin")
                return finish(before, started)

        async def async_case() -> dict[str, object]:
            async with AsyncBot(
                emulator.token, base_url=emulator.base_url, timeout=timeout
            ) as bot:
                warm = await bot.call("sendDocument", {"chat_id": 1, "document": InputFile(small)})
                await bot.download(warm["document"]["file_id"], workdir / "warm.bin")
                stored = None
                if kind == "download":
                    stored = await bot.call(
                        "sendDocument", {"chat_id": 1, "document": InputFile(big)}
                    )
                before = prepare()
                started = time.perf_counter()
                if stored is not None:
                    await bot.download(stored["document"], workdir / "out.bin")
                else:
                    await bot.call("sendDocument", {"chat_id": 1, "document": InputFile(subject)})
                    if kind == "baseline":
                        last = emulator.sent_messages[-1]["document"]
                        await bot.download(last, workdir / "out.bin")
                return finish(before, started)

        result = sync_case() if transport == "sync" else asyncio.run(async_case())

    out = workdir / "out.bin"
    if kind != "upload":
        expected = subject.stat().st_size
        if out.stat().st_size != expected:
            raise RuntimeError(f"{case}: downloaded {out.stat().st_size} of {expected} bytes")
    result["case"] = case
    return result


def prepare() -> tuple[int, bool]:
    gc.collect()
    rss = _status_kb("VmRSS")
    return rss, _reset_peak()


def finish(before: tuple[int, bool], started: float) -> dict[str, object]:
    rss_before, reset = before
    peak = _status_kb("VmHWM")
    return {
        "rss_before_mb": rss_before / 1024,
        "peak_mb": peak / 1024,
        "increase_mb": max(0, peak - rss_before) / 1024,
        "peak_was_reset": reset,
        "seconds": time.perf_counter() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:
        workdir = args.dir
        result = run_case(args.case, workdir / "big.bin", workdir / "small.bin", workdir)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="telebridge-bench-") as temp:
        workdir = Path(temp)
        _write_random_file(workdir / "big.bin", args.size_mb * MB)
        _write_random_file(workdir / "small.bin", MB)
        results = []
        for case in CASES:
            child = subprocess.run(
                [sys.executable, __file__, "--case", case, "--dir", str(workdir)],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print(child.stdout, child.stderr, file=sys.stderr)
                return 1
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))

    baselines = {
        r["case"].partition("-")[2]: r["increase_mb"] for r in results if "baseline" in r["case"]
    }
    print(f"{args.size_mb} MB file; peak RSS increase during the transfer (emulator in-process)")
    header = ("case", "RSS before", "peak", "increase", "vs baseline", "time")
    print(
        f"{header[0]:<16}{header[1]:>12}{header[2]:>10}{header[3]:>10}{header[4]:>13}{header[5]:>8}"
    )
    failed = False
    for r in results:
        transport = r["case"].partition("-")[2]
        over = r["increase_mb"] - baselines[transport]
        if "baseline" not in r["case"] and r["increase_mb"] >= TARGET_MB:
            failed = True
        print(
            f"{r['case']:<16}{r['rss_before_mb']:>10.1f}MB{r['peak_mb']:>8.1f}MB"
            f"{r['increase_mb']:>8.1f}MB{over:>+11.1f}MB{r['seconds']:>7.1f}s"
        )
    if not all(r["peak_was_reset"] for r in results):
        print("note: /proc/self/clear_refs was not writable; peaks include the warm-up")
    print(f"target: every increase under {TARGET_MB} MB: {'FAILED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
