"""booktools.seedbench: the statistics, the claims check, the page, and a run without Keras's cost."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from booktools import seedbench
from booktools.seedbench import Arm, Benchmark, Pair, check_claims, render, summarise


def _runs(a: list[float], b: list[float]) -> list[dict]:
    return [
        {"seed": i, "a": {"m": x}, "b": {"m": y}} for i, (x, y) in enumerate(zip(a, b, strict=True))
    ]


def test_summarise_pairs_by_seed() -> None:
    s = summarise(_runs([0.10, 0.12], [0.09, 0.10]), "m")
    assert s["a_mean"] == pytest.approx(0.11) and s["b_mean"] == pytest.approx(0.095)
    assert s["a_sd"] == pytest.approx(0.0141421, rel=1e-5)
    # differences 0.01 and 0.02: mean 0.015, SD 0.00707, SE 0.005
    assert s["diff_mean"] == pytest.approx(0.015) and s["diff_se"] == pytest.approx(0.005)
    with pytest.raises(ValueError, match="no runs"):
        summarise([], "m")


def _report(claim: str, a: list[float], b: list[float], beyond: bool = False) -> dict:
    return {"pairs": [{"a": "A", "b": "B", "metric": "m", "claim": claim, "beyond_spread": beyond,
                       **summarise(_runs(a, b), "m")}]}  # fmt: skip


def test_check_claims_holds_each_direction_to_two_standard_errors() -> None:
    lower = ([0.20, 0.21, 0.22], [0.10, 0.11, 0.12])  # a - b = 0.1 every seed
    assert check_claims(_report("b lower", *lower)) == []
    assert check_claims(_report("b lower", *lower, beyond=True)) == []
    assert "says b higher" in check_claims(_report("b higher", *lower))[0]
    assert "says neither" in check_claims(_report("neither", *lower))[0]
    assert check_claims(_report("none", *lower)) == []
    noisy = ([0.10, 0.30, 0.12], [0.11, 0.10, 0.13])  # mean gap 0.06, SE 0.07
    assert "says b lower" in check_claims(_report("b lower", *noisy))[0]
    assert check_claims(_report("neither", *noisy)) == []
    # significant but not beyond the spread between seeds
    wide = ([0.10, 0.20, 0.30], [0.09, 0.19, 0.29])
    assert check_claims(_report("b lower", *wide)) == []
    assert "beyond three SDs" in check_claims(_report("b lower", *wide, beyond=True))[0]


def test_the_t_test_asks_for_more_standard_errors_with_few_seeds() -> None:
    """A report with ``test: "t"`` judges by Student's t on seeds - 1 degrees of freedom."""
    from booktools.seedbench import critical

    # a - b = 0.1, 0.05, 0.15: mean 0.1, SE 0.0289, so t = 3.46: past 2 SE, short of 4.30
    middling = ([0.20, 0.16, 0.27], [0.10, 0.11, 0.12])
    report = _report("b lower", *middling)
    assert critical(report) == 2.0 and check_claims(report) == []  # the default: two SEs
    report.update(test="t", seeds=[0, 1, 2])
    assert critical(report) == pytest.approx(4.303, abs=1e-3)
    for seeds, t975 in ((31, 2.0423), (41, 2.0211), (101, 1.9840)):  # the table, then beyond
        assert critical({**report, "seeds": list(range(seeds))}) == pytest.approx(t975, abs=2e-4)
    with pytest.raises(ValueError, match="at least two seeds"):
        critical({**report, "seeds": [0]})
    assert "needs 4.30 SE" in check_claims(report)[0]
    report["pairs"][0]["claim"] = "neither"
    assert check_claims(report) == []
    assert "4.30 SE (Student's t, 95 % two-sided, 2 degrees of freedom)" in render(
        {**report, "title": "T", "description": "D", "script": "s", "machine": "m",
         "versions": {}, "digits": 2, "metrics": {"m": "loss"},
         "pairs": [{**report["pairs"][0], "runs": _runs(*middling)}]}
    )  # fmt: skip
    with pytest.raises(ValueError, match="test 'z'"):
        Benchmark(script="s", title="t", description="d", notebook=Path("n"), names=(),
                  pairs=(), metrics={}, out=Path("o"), test="z")  # fmt: skip


def test_pair_refuses_an_unknown_claim() -> None:
    with pytest.raises(ValueError, match="claim 'better'"):
        Pair(Arm("a", "f()"), Arm("b", "g()"), metric="m", claim="better")
    with pytest.raises(ValueError, match="beyond_spread needs a direction"):
        Pair(Arm("a", "f()"), Arm("b", "g()"), metric="m", claim="neither", beyond_spread=True)


def _bench(tmp_path: Path) -> Benchmark:
    nb = {"cells": [{"cell_type": "code", "source": "def f(s):\n    return 1.0 + s\n"},
                    {"cell_type": "code", "source": "def g(s):\n    return 0.5 + s\n"}]}  # fmt: skip
    path = tmp_path / "09_x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return Benchmark(
        script="benchmarks/ch9_seeds.py", title="Chapter 9's pairs", description="Loss.",
        notebook=path, names=("f", "g"),
        pairs=(Pair(Arm("plain", "f"), Arm("better", "g"), metric="m", claim="b lower"),),
        metrics={"m": "test loss"}, out=tmp_path / "ch9_seeds.json",
    )  # fmt: skip


def test_fingerprint_goes_stale_with_the_chapters_code_or_the_arms(tmp_path: Path) -> None:
    bench = _bench(tmp_path)
    before = bench.fingerprint()
    nb = json.loads(bench.notebook.read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = "def g(s):\n    return 0.4 + s\n"
    bench.notebook.write_text(json.dumps(nb), encoding="utf-8")
    assert bench.fingerprint() != before
    other = Benchmark(**{**bench.__dict__, "pairs": (Pair(Arm("plain", "f"), Arm("b", "g"), "m"),)})
    assert other.fingerprint() != bench.fingerprint()


def test_main_runs_the_chapters_code_pairs_by_seed_and_writes_the_page(
    tmp_path, monkeypatch, capsys
) -> None:
    seeded = []
    fake = types.SimpleNamespace(utils=types.SimpleNamespace(set_random_seed=seeded.append))
    monkeypatch.setitem(sys.modules, "keras", fake)
    bench = _bench(tmp_path)

    def one(space, expression, seed):
        return {"m": eval(expression, space)(seed / 100)}

    assert seedbench.main(bench, dict, one, ["--seeds", "0,1,2"]) == 0
    assert seeded == [0, 0, 1, 1, 2, 2]  # both arms of a seed start from it
    report = json.loads(bench.out.read_text(encoding="utf-8"))
    assert report["fingerprint"] == bench.fingerprint() and report["seeds"] == [0, 1, 2]
    pair = report["pairs"][0]
    assert pair["diff_mean"] == pytest.approx(0.5) and pair["diff_se"] == pytest.approx(0.0)
    assert check_claims(report) == [] and "CLAIM" not in capsys.readouterr().out
    page = render(report)
    assert page.startswith("## Chapter 9's pairs")
    assert (
        "| test loss | plain | 1.0000 | 1.0100 | 1.0200 | 1.0100 ± 0.0100 | 0.5000 ± 0.0000 |"
        in page
    )
    assert "|  | better | 0.5000 | 0.5100 | 0.5200 | 0.5100 ± 0.0100 |  |" in page


def test_main_fails_when_a_stated_claim_does_not_hold(tmp_path, monkeypatch, capsys) -> None:
    fake = types.SimpleNamespace(utils=types.SimpleNamespace(set_random_seed=lambda s: None))
    monkeypatch.setitem(sys.modules, "keras", fake)
    bench = _bench(tmp_path)  # claims b lower; here b is higher from every seed

    def one(space, expression, seed):
        return {"m": (2.0 if expression == "g" else 1.0) + seed / 100}

    assert seedbench.main(bench, dict, one, ["--seeds", "0,1,2"]) == 1
    assert "CLAIM DOES NOT HOLD" in capsys.readouterr().out
    assert bench.out.is_file(), "the report is written, to be read"


def test_main_refuses_bad_seeds(tmp_path) -> None:
    bench = _bench(tmp_path)
    with pytest.raises(SystemExit):
        seedbench.main(bench, dict, lambda *a: {}, ["--seeds", "0,x"])
    with pytest.raises(ValueError, match="distinct seeds"):
        seedbench.run(bench, dict, lambda *a: {}, [1, 1])


def test_a_metric_the_run_does_not_return_is_named(tmp_path, monkeypatch) -> None:
    fake = types.SimpleNamespace(utils=types.SimpleNamespace(set_random_seed=lambda s: None))
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(KeyError, match=r"returned no \['m'\]"):
        seedbench.run(_bench(tmp_path), dict, lambda space, e, s: {"loss": 1.0}, [0])
