"""Run the benchmarks: ``.venv/bin/python bench/run.py [NAME ...]``.

Every ``bench/bench_<name>.py`` that defines ``main()`` is a benchmark; NAME is
``<name>`` or ``bench_<name>``.  Without names all of them run, in name order,
except the half-hour soak (``bench/run.py soak``).
Each prints its own figures.  The exit status is non-zero when a benchmark's
``main()`` returned a non-zero value (a failed correctness check) or raised.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
# Benchmarks that take half an hour run only when named (`bench/run.py soak`).
ONLY_WHEN_NAMED = {"soak"}


def discover() -> dict[str, Path]:
    """``{name: path}`` of every ``bench_<name>.py`` next to this file."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    found = discover()
    wanted = [a.removeprefix("bench_").removesuffix(".py") for a in argv] or [
        name for name in found if name not in ONLY_WHEN_NAMED
    ]
    unknown = [n for n in wanted if n not in found]
    if unknown:
        print(
            f"run.py: no benchmark named {', '.join(unknown)}; "
            f"available: {', '.join(found) or 'none'}",
            file=sys.stderr,
        )
        return 2
    if str(HERE) not in sys.path:  # benchmarks may share helpers in bench/
        sys.path.insert(0, str(HERE))
    failed = []
    for name in wanted:
        try:
            module = load(name, found[name])
            entry: Callable[[], int | None] | None = getattr(module, "main", None)
            if entry is None:
                print(f"== {name}: skipped (no main())\n")
                continue
            print(f"== {name}")
            started = time.perf_counter()
            # A benchmark may parse its own options: it gets none from run.py's.
            saved_argv, sys.argv = sys.argv, [str(found[name])]
            try:
                result = entry()
            finally:
                sys.argv = saved_argv
            print(f"== {name}: done in {time.perf_counter() - started:.1f} s\n")
        except Exception:
            traceback.print_exc()
            result = 1
        if result:
            failed.append(name)
    if failed:
        print(f"run.py: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
