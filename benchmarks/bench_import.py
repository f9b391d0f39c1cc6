"""Import time of telebridge and its peer SDKs, each in a fresh interpreter.

What users feel at start-up (a CLI, a cron job, a serverless cold start) is
the import of the SDK with everything it pulls in, read from compiled
bytecode as an installed package normally is. So this script first compiles
the bytecode of every package involved, then times ``import X`` in a new
Python process per run, with the targets taking turns.

telebridge defines its ~570 generated classes (types and methods) in modules
that load on first use, so ``import telebridge`` alone does not load them. The
"first use" row adds what a first call needs: the method classes and the
decoders, which pull in every type.

Exits 1 unless ``import telebridge`` is faster than ``import telegram``
(python-telegram-bot), as issue #3 point 6 requires.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import sysconfig

# Label -> statements timed in the child. httpx is the baseline: telebridge and
# python-telegram-bot both stand on it, so nothing built on it imports faster.
TARGETS = {
    "httpx": "import httpx",
    "telebridge": "import telebridge",
    "telebridge first use": (
        "import telebridge; from telebridge.core.methods import SendMessage; "
        "import telebridge.core._decode"
    ),
    "python-telegram-bot": "import telegram",
    "aiogram": "import aiogram",
    "pyTelegramBotAPI": "import telebot",
}

# The child times only the import, not the interpreter's own start-up, which
# is the same for every target and would blur the differences.
CHILD = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def child_env() -> dict[str, str]:
    """Return the environment of every child: bytecode caches written and used.

    Some environments (this project's CI among them) set
    PYTHONDONTWRITEBYTECODE=1; a child must not run with it, or an import
    missing from the precompiled set would be compiled again on every run.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bytecode() -> list[str]:
    """Compile site-packages and telebridge's sources (an editable install lives
    outside site-packages); return the compiled directories."""
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    spec = importlib.util.find_spec("telebridge")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("telebridge is not installed in this interpreter")
    dirs.update(spec.submodule_search_locations)
    ordered = sorted(dirs)
    # -j 0 uses every core; already compiled, unchanged files are skipped.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *ordered],
        env=child_env(),
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
    )
    return ordered


def available(label: str) -> bool:
    module = TARGETS[label].split(";")[0].split()[1]
    return importlib.util.find_spec(module) is not None


def time_import(stmt: str) -> float:
    """Return the seconds *stmt* takes in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(stmt=stmt)],
        env=child_env(),
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per target (11, at least 7)")
    args = parser.parse_args()
    if args.runs < 7:
        parser.error("--runs must be at least 7")

    labels = []
    for label in TARGETS:
        if available(label):
            labels.append(label)
        else:
            print(f"{label} is not installed: skipped (pip install -e '.[bench]')")

    print(f"Python {sys.version.split()[0]}; compiling bytecode first (python -m compileall):")
    for directory in compile_bytecode():
        print(f"  {directory}")
    print("Children run without PYTHONDONTWRITEBYTECODE, so they import from .pyc caches.")

    # One run of each before measuring: the first reads cold files from disk.
    for label in labels:
        time_import(TARGETS[label])
    samples: dict[str, list[float]] = {label: [] for label in labels}
    for _ in range(args.runs):
        for label in labels:
            samples[label].append(time_import(TARGETS[label]))

    medians = {label: statistics.median(times) for label, times in samples.items()}
    baseline = medians["httpx"]
    print(f"\nmedian of {args.runs} fresh processes each, import only (no interpreter start-up)")
    print(f"  {'target':<22} {'ms':>7} {'x httpx':>8}  statement")
    for label in labels:
        print(
            f"  {label:<22} {medians[label] * 1e3:>7.1f} {medians[label] / baseline:>7.2f}x"
            f"  {TARGETS[label]}"
        )
    print(
        "\n'telebridge' leaves its generated types and methods for later; they load on first"
        "\nuse, and 'telebridge first use' is the cost a program pays once it calls the API."
    )

    if "python-telegram-bot" not in medians:
        print("\nSKIP: python-telegram-bot is not installed, nothing to compare with.")
        return 0
    ours, theirs = medians["telebridge"], medians["python-telegram-bot"]
    verdict, sign = ("OK", "<") if ours < theirs else ("FAIL", ">=")
    ours_ms, theirs_ms = f"{ours * 1e3:.1f} ms", f"{theirs * 1e3:.1f} ms"
    print(f"\n{verdict}: import telebridge {ours_ms} {sign} import telegram {theirs_ms}")
    return 0 if ours < theirs else 1


if __name__ == "__main__":
    sys.exit(main())
