"""Google Colab's runtime: the constraints file, and the helper's install into it.

CI's `colab` stage (``.ci/colab-env test``) builds Colab's packages in a virtual environment,
installs the helper exactly as every chapter's Colab cell does, and runs this file there with
``AEBOOK_COLAB_STATE`` pointing at what it recorded: ``pip freeze`` before and after the
install, pip's ``--dry-run`` report, and the cell's output. Outside that stage the tests of
the installed environment are skipped; the tests of the constraints file and of the parsing
run everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "requirements-colab.txt"
STATE = os.environ.get("AEBOOK_COLAB_STATE")
in_colab_stage = pytest.mark.skipif(
    not STATE, reason="runs in CI's Colab stage (.ci/colab-env test), which sets AEBOOK_COLAB_STATE"
)
#: The packages whose versions README and the set-up page state for the tested runtime.
HEADLINE = (
    "tensorflow",
    "keras",
    "numpy",
    "scikit-learn",
    "matplotlib",
    "pillow",
    "scipy",
    "scikit-image",
    "umap-learn",
)


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str]:
    """``pip freeze`` output as ``{canonical name: version, or "@ url" for a direct reference}``."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            out[canonical(line.split("#egg=")[-1])] = "-e " + line[3:].split("#egg=")[0]
            continue
        name, sep, rest = re.split(r"\s*(==|@)\s*", line, maxsplit=1)
        out[canonical(name)] = rest if sep == "==" else f"@ {rest}"
    return out


def freeze_changes(before: str, after: str) -> dict[str, tuple[str | None, str | None]]:
    """Every package whose line differs between two ``pip freeze`` listings."""
    b, a = parse_freeze(before), parse_freeze(after)
    return {n: (b.get(n), a.get(n)) for n in sorted(b.keys() | a.keys()) if b.get(n) != a.get(n)}


def report_installs(report: dict) -> list[str]:
    """Names and versions of what a ``pip install --dry-run --report`` would install."""
    return [
        f"{canonical(item['metadata']['name'])}=={item['metadata']['version']}"
        for item in report.get("install", [])
    ]


def colab_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """``{canonical name: version}`` from the constraints file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def colab_python(path: Path = CONSTRAINTS) -> str:
    match = re.search(r"^# runtime: .*\(Python (\d+\.\d+)\)$", path.read_text(), re.M)
    assert match, f"{path.name} has no '# runtime: ... (Python X.Y)' line"
    return match[1]


def _generator():
    """The module .ci/colab_constraints.py (a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "colab_constraints", ROOT / ".ci/colab_constraints.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- everywhere
def test_parse_freeze_and_changes():
    before = "numpy==2.1.3\nKeras==3.13.2\n# comment\nscikit_learn==1.6.1\n"
    after = "numpy==2.1.3\nkeras==3.14.0\nscikit-learn==1.6.1\naebook @ git+file:///r@abc\n"
    assert freeze_changes(before, before) == {}
    assert freeze_changes(before, after) == {
        "aebook": (None, "@ git+file:///r@abc"),
        "keras": ("3.13.2", "3.14.0"),
    }
    assert parse_freeze("-e git+https://x/y@1#egg=aebook\n") == {"aebook": "-e git+https://x/y@1"}


def test_report_installs():
    report = {"install": [{"metadata": {"name": "aebook", "version": "0.1.0"}}]}
    assert report_installs(report) == ["aebook==0.1.0"]
    assert report_installs({"install": []}) == []


def test_constraints_file_is_what_the_generator_makes_of_colabs_list():
    header = CONSTRAINTS.read_text(encoding="utf-8").split("\n# dropped", 1)[0]
    source = re.search(r"copy in \.\./shared/colab/(\S+)\)", header)
    assert source, "requirements-colab.txt names no copy of Colab's list in ../shared/colab"
    listing = ROOT.parent / "shared" / "colab" / source[1]
    if not listing.is_file():
        pytest.skip(f"{listing} is not here (it is beside the clone in CI)")
    module = _generator()
    pins, dropped = module.constraints(listing.read_text(encoding="utf-8").splitlines())
    body = [line for line in CONSTRAINTS.read_text().splitlines() if not line.startswith("#")]
    assert body == pins
    assert f"# dropped ({len(dropped)}," in CONSTRAINTS.read_text()


def test_constraints_generator_drops_what_pypi_cannot_install():
    module = _generator()
    pins, dropped = module.constraints(
        ["# header", "numpy==2.1.3", "torch @ https://x/torch.whl", "jax==0.7+cuda12", "Abc==1"]
    )
    assert pins == ["Abc==1", "numpy==2.1.3"]
    assert [d.split()[0] for d in dropped] == ["torch", "jax==0.7+cuda12"]
    with pytest.raises(ValueError, match="not a"):
        module.constraints(["numpy>=2"])


@pytest.mark.parametrize("page", ["README.md", "book/setup.md"])
def test_pages_name_the_colab_runtime_the_book_is_tested_against(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    pins = colab_pins()
    for name in HEADLINE:
        assert re.search(rf"{re.escape(name)} {re.escape(pins[name])}\b", text, re.I), (
            f"{page} does not say that the book is tested with Colab's {name} {pins[name]}"
        )
    assert f"Python {colab_python()}" in text
    date = re.search(r"^# list dated: (\S+)$", CONSTRAINTS.read_text(), re.M)[1]
    assert date in text, f"{page} does not give the date of Colab's list ({date})"


# --------------------------------------------------------------------------- Colab stage
def _state(name: str) -> Path:
    path = Path(STATE) / name
    assert path.is_file(), f"the Colab stage did not record {path}"
    return path


@in_colab_stage
def test_environment_has_colabs_versions():
    pins = colab_pins()
    wrong = {}
    for dist in metadata.distributions():
        name = canonical(dist.metadata["Name"])
        if name in pins and dist.version != pins[name]:
            wrong[name] = (dist.version, pins[name])
    assert not wrong, f"installed vs Colab's version: {wrong}"
    for name in HEADLINE:
        assert metadata.version(name) == pins[canonical(name)]
    have = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if have != colab_python():
        print(f"note: Colab runs Python {colab_python()}; this stage ran on {have}")


@in_colab_stage
def test_installing_the_helper_would_install_nothing_else():
    report = json.loads(_state("dry-run.json").read_text())
    installs = report_installs(report)
    assert [i.split("==")[0] for i in installs] == ["aebook"], (
        f"the Colab cell's install would also install or replace: {installs}"
    )


@in_colab_stage
def test_installing_the_helper_changed_no_package():
    changes = freeze_changes(
        _state("freeze-before.txt").read_text(), _state("freeze-after.txt").read_text()
    )
    assert set(changes) == {"aebook"}, f"the install changed: {changes}"
    assert changes["aebook"][0] is None and changes["aebook"][1].startswith("@ git+file://")


@in_colab_stage
def test_helper_is_the_installed_copy_not_the_checkout():
    # what a notebook's kernel imports: nbval starts it in notebooks/
    found = subprocess.run(
        [sys.executable, "-c", "import aebook; print(aebook.__file__)"],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        check=True,
    )
    installed = Path(found.stdout.strip()).resolve()
    assert ROOT not in installed.parents, f"aebook imported from the checkout: {installed}"
    direct = json.loads(metadata.distribution("aebook").read_text("direct_url.json") or "{}")
    assert not direct.get("dir_info", {}).get("editable", False)


@in_colab_stage
def test_colab_cell_prints_nothing():
    output = _state("cell-output.txt").read_text()
    assert output == "", f"the Colab cell printed {len(output.splitlines())} lines:\n{output}"


@in_colab_stage
def test_building_the_helper_warns_nothing():
    log = _state("build.log").read_text()
    assert "Successfully built aebook" in log or "Stored in directory" in log, log[-2000:]
    # Python warnings by class name (SetuptoolsDeprecationWarning, ...) and deprecations;
    # git's and distutils' lower-case "warning:" lines are not about the package
    warnings = [
        line for line in log.splitlines() if re.search(r"[A-Z]\w*Warning\b|[Dd]eprecat", line)
    ]
    assert not warnings, "building the helper warns:\n" + "\n".join(warnings)


INSTALLED_FILES = """
import importlib.util, json
from importlib import metadata
from pathlib import Path
files = metadata.distribution("aebook").files or []
tops = sorted({Path(str(f)).parts[0] for f in files})
print(json.dumps([tops, importlib.util.find_spec("booktools") and "found"]))
"""


@in_colab_stage
def test_the_colab_install_is_the_library_alone():
    """What the Colab cell installed is the package ``aebook`` and its metadata: the book's
    toolchain (``booktools``) is not in it, and a chapter's kernel cannot import it."""
    # asked in a fresh process in notebooks/, as a chapter's kernel is (this process also
    # sees the checkout, whose editable install's metadata would answer instead)
    found = subprocess.run(
        [sys.executable, "-c", INSTALLED_FILES],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        check=True,
    )
    tops, toolchain = json.loads(found.stdout)
    assert tops and all(t == "aebook" or t.startswith("aebook-") for t in tops), tops
    assert toolchain is None, "a chapter's kernel can import the toolchain"
