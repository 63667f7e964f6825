"""booktools.mathjax and its Sphinx extension: the site's own MathJax, checked before use."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from sphinx.errors import ExtensionError

from booktools import mathjax, sphinx_mathjax


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


FAKE = {
    "package/LICENSE": b"Apache-2.0",
    "package/es5/tex-mml-chtml.js": b"/* mathjax */",
    "package/es5/tex-svg.js": b"/* not used by the site */",
    "package/es5/input/tex/extensions/ams.js": b"/* ams */",
    "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"font",
    "package/es5/output/svg/fonts/tex.js": b"/* not used */",
}


@pytest.fixture
def fake_pin(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A small tarball laid out like the npm package, pinned in place of the real one."""
    data = _tarball(FAKE)
    monkeypatch.setattr(mathjax, "SHA512", hashlib.sha512(data).hexdigest())
    return data


def test_check_says_how_to_fetch_it(tmp_path: Path) -> None:
    with pytest.raises(mathjax.MathJaxError, match="make book"):
        mathjax.check(tmp_path)


def test_install_keeps_what_the_site_loads(tmp_path: Path, fake_pin: bytes) -> None:
    folder = mathjax.install_from_tarball(fake_pin, tmp_path)
    assert mathjax.check(tmp_path) == folder
    kept = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert kept == [
        "_static/mathjax/LICENSE",
        "_static/mathjax/es5/input/tex/extensions/ams.js",
        "_static/mathjax/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "_static/mathjax/es5/tex-mml-chtml.js",
    ]
    # the staging folder is gone; a second install replaces the first
    assert [p.name for p in tmp_path.iterdir()] == [".mathjax"]
    mathjax.install_from_tarball(fake_pin, tmp_path)
    assert mathjax.check(tmp_path) == folder


def test_a_download_that_fails_its_hash_installs_nothing(tmp_path: Path) -> None:
    with pytest.raises(mathjax.MathJaxError, match="corrupted or altered"):
        mathjax.install_from_tarball(_tarball(FAKE), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_path_escaping_the_folder_is_refused(tmp_path: Path, monkeypatch) -> None:
    data = _tarball({**FAKE, "package/es5/input/../../../../escaped.js": b"x"})
    monkeypatch.setattr(mathjax, "SHA512", hashlib.sha512(data).hexdigest())
    with pytest.raises(mathjax.MathJaxError, match="unsafe path"):
        mathjax.install_from_tarball(data, tmp_path / "repo")
    assert not (tmp_path / "escaped.js").exists()
    assert list((tmp_path / "repo").iterdir()) == []


def test_an_incomplete_copy_is_not_accepted(tmp_path: Path, fake_pin: bytes) -> None:
    folder = mathjax.install_from_tarball(fake_pin, tmp_path)
    (folder / "_static" / mathjax.ENTRY).unlink()
    with pytest.raises(mathjax.MathJaxError, match="no complete copy"):
        mathjax.check(tmp_path)


def test_fetch_downloads_once(tmp_path: Path, fake_pin: bytes) -> None:
    source = tmp_path / "mathjax.tgz"
    source.write_bytes(fake_pin)
    root = tmp_path / "repo"
    folder = mathjax.fetch(root, url=source.as_uri())
    source.unlink()  # a second call must not download again
    assert mathjax.fetch(root, url=source.as_uri()) == folder


def test_fetch_explains_a_failed_download(tmp_path: Path) -> None:
    with pytest.raises(mathjax.MathJaxError, match="could not download"):
        mathjax.fetch(tmp_path, url=(tmp_path / "missing.tgz").as_uri())


def test_command_line_check(tmp_path: Path, capsys, fake_pin: bytes) -> None:
    assert mathjax._main(["--check", "--root", str(tmp_path)]) == 1
    assert "make book" in capsys.readouterr().err
    mathjax.install_from_tarball(fake_pin, tmp_path)
    assert mathjax._main(["--check", "--root", str(tmp_path)]) == 0
    assert "tex-mml-chtml.js" in capsys.readouterr().out


def test_sphinx_extension_points_the_site_at_the_copy(tmp_path: Path, fake_pin: bytes) -> None:
    app = SimpleNamespace(confdir=str(tmp_path))
    config = SimpleNamespace(html_extra_path=[], mathjax_path="https://cdn.example/mathjax.js")
    with pytest.raises(ExtensionError, match="make book"):
        sphinx_mathjax._configure(app, config)  # type: ignore[arg-type]
    mathjax.install_from_tarball(fake_pin, tmp_path)
    sphinx_mathjax._configure(app, config)  # type: ignore[arg-type]
    assert config.html_extra_path == [".mathjax/site"]
    assert config.mathjax_path == "mathjax/es5/tex-mml-chtml.js"
    assert (tmp_path / config.html_extra_path[0] / "_static" / config.mathjax_path).is_file()
