"""A larger batch with the learning rate scaled to it: faster per epoch, but faster to target?

``benchmarks/cpu_recipe.py`` finds that four times the batch makes an epoch of the dense
models about 1.3 to 1.5 times faster on a CPU. An epoch then has four times fewer updates, so
the question that decides a recipe is the time to the same validation target, and the test
metric there. For each dense task of ``time_to_target.py`` (chapters 2, 4, 7 and 8) and each
seed, this script trains the chapter's recipe and two variants, paired (same seed, same
initial weights, same target: the one ``benchmarks/results/time_to_target.json`` stored for
that task and seed):

- ``batch x4, rate x2``: four times the batch, the peak rate doubled (the square-root rule);
- ``batch x4, rate x4``: four times the batch and the peak rate (the linear rule).

Same schedule shape and length in epochs. A run stops at the target, or when it has used the
reference recipe's time for that seed (then it counts as missed). It prints and writes
``benchmarks/results/batch_size.json``: per task, every run, the median time ratio of each
variant to the chapter's recipe, and the paired test-metric difference (mean and standard
error over seeds). A benchmark, not a test; CI never runs it::

    AEBOOK_DATA=/path/to/data .venv/bin/python benchmarks/batch_size.py [--tasks ch2,ch7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from time_to_target import OUT as TIME_TO_TARGET  # noqa: E402
from time_to_target import ROOT, TASKS, load_data, run  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "batch_size.json"
VARIANTS = {
    "chapter's recipe": (1, 1.0),
    "batch x4, rate x2": (4, 2.0),
    "batch x4, rate x4": (4, 4.0),
}


def paired(values: list[float]) -> dict[str, float]:
    """Mean and standard error of paired differences."""
    n = len(values)
    se = statistics.stdev(values) / n**0.5 if n > 1 else float("nan")
    return {"mean": statistics.mean(values), "se": se}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="ch2,ch4,ch7,ch8")
    args = parser.parse_args(argv)
    stored = {t["key"]: t for t in json.loads(TIME_TO_TARGET.read_text())["tasks"]}
    started = time.perf_counter()
    report = []
    for task in (t for t in TASKS if t.key in args.tasks.split(",")):
        data = load_data(task)
        runs = []
        for ref in (r for r in stored[task.key]["runs"] if r["recipe"] == "reference"):
            order = list(VARIANTS)
            shift = ref["seed"] % len(order)  # rotate so that machine noise hits all three
            for name in order[shift:] + order[:shift]:
                batch_multiple, rate_multiple = VARIANTS[name]
                result = run(task, "book", data, ref["seed"], ref["target"], ref["seconds"],
                             batch_multiple, rate_multiple)  # fmt: skip
                runs.append(result | {"variant": name})
                print(f"{task.key} seed {ref['seed']} {name}: {result['epochs']} ep "
                      f"{result['seconds']:.1f} s test {result['test']:.5f}"
                      f"{'' if result['reached'] else ' (missed)'}", flush=True)  # fmt: skip
        row: dict[str, object] = {"key": task.key, "task": task.task, "runs": runs}
        base = {r["seed"]: r for r in runs if r["variant"] == "chapter's recipe"}
        for name in list(VARIANTS)[1:]:
            mine = [r for r in runs if r["variant"] == name]
            row[name] = {
                "median_time_ratio": statistics.median(
                    r["seconds"] / base[r["seed"]]["seconds"] for r in mine
                ),
                "test_difference": paired([r["test"] - base[r["seed"]]["test"] for r in mine]),
                "all_reached": all(r["reached"] for r in mine),
            }
            print(f"{task.key} {name}: {json.dumps(row[name])}", flush=True)
        report.append(row)
    from booktools.atomic import write_text

    out = {"script": "benchmarks/batch_size.py", "variants": VARIANTS,
           "wall_seconds": round(time.perf_counter() - started, 1), "tasks": report}  # fmt: skip
    write_text(OUT, json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
