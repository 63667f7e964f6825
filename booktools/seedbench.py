"""Paired-seed benchmarks: a chapter's comparisons repeated over seeds, outside the chapter.

A chapter trains each model once; whether a difference between two models is larger than
the spread between seeds often needs three or more runs of each, which a chapter's time
budget cannot hold. A benchmark script in ``benchmarks/`` does it with this module:

- the chapter's own code (model builders, recipe constants) is taken from its notebook by
  :func:`booktools.chapter_code.definitions` and run, so nothing is copied;
- each :class:`Pair` names two arms (expressions evaluated in the chapter's namespace), the
  metric that compares them and the direction the chapter states (:data:`CLAIMS`);
- for every seed both arms run from that seed (``keras.utils.set_random_seed(seed)`` before
  each arm), so the comparison is paired;
- the report stores every run, each arm's mean and standard deviation over seeds, the mean
  paired difference (a minus b) with its standard error, and a fingerprint of the chapter's
  code and the arms: ``tests/test_benchmark.py`` fails when the code changed and the results
  were not re-made, or when a stated direction does not hold by more than two standard
  errors. ``python -m booktools.results`` shows each report on the results page.

A script defines ``BENCHMARK`` (a :class:`Benchmark`), ``prepare()`` (imports and data, into
the namespace the chapter's code runs in) and ``one(space, expression, seed)`` (train and
score one arm, returning its metrics), and calls :func:`main`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from booktools.atomic import write_text
from booktools.chapter_code import definitions, fingerprint
from booktools.jsontypes import Json, JsonObject

#: The namespace the chapter's code is executed in (``exec``): Keras objects, arrays, the
#: chapter's builders. A third-party boundary: its values have no common type.
Namespace = dict[str, Any]

__all__ = ["CLAIMS", "Arm", "Benchmark", "Pair", "check_claims", "main", "run", "summarise"]

#: What a chapter may say of a pair, and what the report must then show:
#: ``"b lower"`` / ``"b higher"``: b's metric is lower / higher than a's, by more than two
#: standard errors of the paired difference; ``"neither"``: the difference is within two
#: standard errors (the chapter says the runs do not separate them); ``"none"``: reported only.
CLAIMS = ("b lower", "b higher", "neither", "none")


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: a label for the page and an expression for the namespace."""

    label: str
    expression: str


@dataclass(frozen=True)
class Pair:
    """Two arms compared on one metric, with the direction the chapter states.

    ``beyond_spread``: the chapter also says the difference exceeds the spread between seeds,
    so the mean paired difference must exceed three times either arm's standard deviation.
    """

    a: Arm
    b: Arm
    metric: str
    claim: str = "none"
    beyond_spread: bool = False

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(
                f"Pair({self.a.label!r}, ...): claim {self.claim!r} is not one of {CLAIMS}"
            )
        if self.beyond_spread and self.claim not in ("b lower", "b higher"):
            raise ValueError(f"Pair({self.a.label!r}, ...): beyond_spread needs a direction")


@dataclass(frozen=True)
class Benchmark:
    """What a benchmark script compares, and how the results page presents it.

    ``metrics`` maps each metric key ``one`` returns to the label the page shows (the first
    is the one the page tabulates per seed); ``digits`` is how many decimals it shows.
    """

    script: str
    title: str
    description: str
    notebook: Path
    names: tuple[str, ...]
    pairs: tuple[Pair, ...]
    metrics: Mapping[str, str]
    out: Path
    digits: int = 4

    def source(self) -> str:
        """The chapter's code the benchmark runs."""
        return definitions(self.notebook, self.names)

    def fingerprint(self) -> str:
        """Names the chapter's code and the arms: the results are stale when either changes."""
        arms = tuple(((p.a.label, p.a.expression), (p.b.label, p.b.expression)) for p in self.pairs)
        return fingerprint(self.source(), repr(arms))


def _spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), sd


def summarise(runs: Sequence[JsonObject], metric: str) -> dict[str, float]:
    """Each arm's mean and SD over seeds, and the mean paired difference (a - b) with its SE."""
    if not runs:
        raise ValueError("summarise: no runs")
    a = [float(r["a"][metric]) for r in runs]
    b = [float(r["b"][metric]) for r in runs]
    (a_mean, a_sd), (b_mean, b_sd) = _spread(a), _spread(b)
    diff_mean, diff_sd = _spread([x - y for x, y in zip(a, b, strict=True)])
    return {
        "a_mean": a_mean, "a_sd": a_sd, "b_mean": b_mean, "b_sd": b_sd,
        "diff_mean": diff_mean, "diff_se": diff_sd / math.sqrt(len(runs)),
    }  # fmt: skip


def check_claims(report: JsonObject) -> list[str]:
    """What in ``report`` contradicts the directions its pairs state (empty when none)."""
    problems = []
    for pair in report["pairs"]:
        name = f"{pair['a']} / {pair['b']} ({pair['metric']})"
        diff, se = pair["diff_mean"], pair["diff_se"]
        claim = pair["claim"]
        signed = diff if claim == "b lower" else -diff
        if claim in ("b lower", "b higher") and not signed > 2 * se:
            problems.append(f"{name}: says {claim}, but a - b = {diff:.4g} ± {se:.4g} (SE)")
        if claim == "neither" and abs(diff) > 2 * se:
            problems.append(f"{name}: says neither, but a - b = {diff:.4g} ± {se:.4g} (SE)")
        if pair.get("beyond_spread") and not signed > 3 * max(pair["a_sd"], pair["b_sd"]):
            problems.append(f"{name}: the difference is not beyond three SDs between seeds")
    return problems


def run(
    bench: Benchmark,
    prepare: Callable[[], Namespace],
    one: Callable[[Namespace, str, int], Mapping[str, float]],
    seeds: Sequence[int],
) -> dict[str, Json]:
    """Run every pair from every seed; the report (as JSON-ready data)."""
    import keras  # lazy: the tests import this module without TensorFlow

    if len(set(seeds)) != len(seeds) or not seeds:
        raise ValueError(f"seeds {list(seeds)}: give distinct seeds, e.g. --seeds 0,1,2")
    space = prepare()
    exec(compile(bench.source(), bench.notebook.name, "exec"), space)
    start = time.perf_counter()
    pairs: list[Json] = []
    for pair in bench.pairs:
        runs: list[JsonObject] = []
        for seed in seeds:
            row: JsonObject = {"seed": seed}
            for side, arm in (("a", pair.a), ("b", pair.b)):
                keras.utils.set_random_seed(seed)
                t0 = time.perf_counter()
                metrics = {k: float(v) for k, v in one(space, arm.expression, seed).items()}
                metrics["seconds"] = round(time.perf_counter() - t0, 1)
                missing = set(bench.metrics) - set(metrics)
                if missing:
                    raise KeyError(f"one({arm.expression!r}) returned no {sorted(missing)}")
                row[side] = metrics
            runs.append(row)
            a, b = row["a"][pair.metric], row["b"][pair.metric]
            print(f"{pair.a.label} / {pair.b.label}, seed {seed}: {a:.5g} / {b:.5g}", flush=True)
        pairs.append({
            "a": pair.a.label, "b": pair.b.label, "metric": pair.metric, "claim": pair.claim,
            "beyond_spread": pair.beyond_spread, "runs": runs, **summarise(runs, pair.metric),
        })  # fmt: skip
    return {
        "script": bench.script,
        "title": bench.title,
        "description": bench.description,
        "metrics": dict(bench.metrics),
        "digits": bench.digits,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPU cores",
        "versions": {p: metadata.version(p) for p in ("tensorflow", "keras", "numpy")},
        "seeds": list(seeds),
        "wall_seconds": round(time.perf_counter() - start),
        "fingerprint": bench.fingerprint(),
        "pairs": pairs,
    }


def main(
    bench: Benchmark,
    prepare: Callable[[], Namespace],
    one: Callable[[Namespace, str, int], Mapping[str, float]],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``--seeds``, run, write ``bench.out`` atomically; 1 when a stated claim fails."""
    parser = argparse.ArgumentParser(description=bench.title)
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated (default 0,1,2)")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r}: give whole numbers separated by commas")
    report = run(bench, prepare, one, seeds)
    write_text(bench.out, json.dumps(report, indent=1) + "\n")
    print(f"wrote {bench.out} ({report['wall_seconds']} s)")
    problems = check_claims(report)
    for problem in problems:
        print(f"CLAIM DOES NOT HOLD: {problem}")
    return 1 if problems else 0  # the report is written either way, to be read


def render(report: JsonObject) -> str:
    """The results page's section for one report: per pair, each arm per seed, mean ± SD."""
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    seeds, digits = report["seeds"], report["digits"]
    lines = [
        f"## {report['title']}",
        "",
        report["description"],
        "",
        f"Made by `{report['script']}` on {report['machine']} ({versions}), seeds "
        f"{', '.join(str(s) for s in seeds)}; each pair's two models start from the same seed. "
        "SD: the standard deviation over seeds; the paired difference is the first model's "
        "value minus the second's, seed by seed, with its mean and standard error (SE).",
        "",
        "| metric | model | " + " | ".join(f"seed {s}" for s in seeds)
        + " | mean ± SD | paired difference ± SE |",
        "| --- | --- | " + " | ".join("---:" for _ in seeds) + " | ---: | ---: |",
    ]  # fmt: skip
    for pair in report["pairs"]:
        metric = report["metrics"][pair["metric"]]
        diff = f"{pair['diff_mean']:.{digits}f} ± {pair['diff_se']:.{digits}f}"
        for side in ("a", "b"):
            cells = [f"{r[side][pair['metric']]:.{digits}f}" for r in pair["runs"]]
            spread = f"{pair[f'{side}_mean']:.{digits}f} ± {pair[f'{side}_sd']:.{digits}f}"
            first = side == "a"
            lines.append(
                f"| {metric if first else ''} | {pair[side]} | " + " | ".join(cells)
                + f" | {spread} | {diff if first else ''} |"
            )  # fmt: skip
    return "\n".join(lines) + "\n"
