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
  errors (or, for a benchmark that asks for it, by the paired t-test at 95 %: :data:`TESTS`). ``python -m booktools.results`` shows each report on the results page.

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

__all__ = [
    "CLAIMS", "TESTS", "Arm", "Benchmark", "Pair", "check_claims", "critical", "main", "run",
    "summarise",
]  # fmt: skip

#: What a chapter may say of a pair, and what the report must then show:
#: ``"b lower"`` / ``"b higher"``: b's metric is lower / higher than a's, by more than the
#: critical multiple (:func:`critical`) of the standard error of the paired difference;
#: ``"neither"``: the difference is within it (the chapter says the runs do not separate them);
#: ``"none"``: reported only.
CLAIMS = ("b lower", "b higher", "neither", "none")

#: The tests a benchmark may use to judge its claims: ``"2se"``, more than two standard errors
#: (the default, which earlier reports carry implicitly); ``"t"``, the paired t-test at 95 %
#: two-sided, on one degree of freedom fewer than the seeds (4.30 standard errors for three).
TESTS = ("2se", "t")


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
    test: str = "2se"

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise ValueError(
                f"Benchmark({self.script!r}): test {self.test!r} is not one of {TESTS}"
            )

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


def critical(report: JsonObject) -> float:
    """How many standard errors a paired difference must exceed to count as a direction.

    2 for the default test (``"2se"``, also for reports without a ``test``); for ``"t"``, the
    97.5 % quantile of Student's t on ``len(seeds) - 1`` degrees of freedom (4.30 for three).
    """
    if report.get("test", "2se") == "2se":
        return 2.0
    dof = len(report["seeds"]) - 1
    if dof < 1:
        raise ValueError("the t-test needs at least two seeds")
    if dof <= len(_T975):
        return _T975[dof - 1]
    z = 1.959964  # beyond the table, the Cornish-Fisher expansion about the normal quantile
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


#: Student's t, its 97.5th percentile for 1 to 30 degrees of freedom (scipy.stats.t.ppf).
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)  # fmt: skip


def check_claims(report: JsonObject) -> list[str]:
    """What in ``report`` contradicts the directions its pairs state (empty when none)."""
    problems = []
    k = critical(report)
    for pair in report["pairs"]:
        name = f"{pair['a']} / {pair['b']} ({pair['metric']})"
        diff, se = pair["diff_mean"], pair["diff_se"]
        claim = pair["claim"]
        signed = diff if claim == "b lower" else -diff
        if claim in ("b lower", "b higher") and not signed > k * se:
            problems.append(
                f"{name}: says {claim}, but a - b = {diff:.4g} ± {se:.4g} (SE; needs {k:.2f} SE)"
            )
        if claim == "neither" and abs(diff) > k * se:
            problems.append(
                f"{name}: says neither, but a - b = {diff:.4g} ± {se:.4g} (SE; {k:.2f} SE)"
            )
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
        **({} if bench.test == "2se" else {"test": bench.test}),  # earlier reports unchanged
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


def _test_note(report: JsonObject) -> list[str]:
    """The sentence that names a report's test, when it is not the default two SEs."""
    if report.get("test", "2se") == "2se":
        return []
    dof = len(report["seeds"]) - 1
    return [
        f"A stated direction holds when the mean paired difference exceeds {critical(report):.2f} "
        f"SE (Student's t, 95 % two-sided, {dof} degree{'s' if dof != 1 else ''} of freedom).",
    ]


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
        *_test_note(report),
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
