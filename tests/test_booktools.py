"""booktools.serve and booktools.system: serving the site, finding the system programs."""

from __future__ import annotations

import socket
import threading
import urllib.request
from pathlib import Path

import pytest

from booktools import serve, system


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "html"
    site.mkdir()
    (site / "index.html").write_text("<p>the book</p>", encoding="utf-8")
    return site


def test_serve_refuses_a_site_that_is_not_built(tmp_path: Path) -> None:
    with pytest.raises(serve.SiteError, match="make book"):
        serve.make_server(tmp_path / "nothing")


def test_serve_moves_to_the_next_port_when_one_is_taken(tmp_path: Path) -> None:
    site = _site(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        server = serve.make_server(site, port)
    except serve.SiteError:
        pytest.skip("the ports after a random free port happen to be taken")
    try:
        assert server.server_address[1] != port
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"the book" in response.read()
    finally:
        server.shutdown()
        server.server_close()
        taken.close()


def test_serve_command_explains_a_missing_site(tmp_path: Path, capsys) -> None:
    assert serve._main([str(tmp_path / "nothing")]) == 1
    assert "make book" in capsys.readouterr().err


GRAPHVIZ, CHROMIUM = system.PROGRAMS


def test_missing_finds_programs_by_any_name_or_variable() -> None:
    def which(name: str) -> str | None:
        return {"dot": "/usr/bin/dot", "/opt/chrome/chrome": "/opt/chrome/chrome"}.get(name)

    assert system.missing(which=which, environ={}) == [CHROMIUM]
    environ = {"AEBOOK_CHROMIUM": "/opt/chrome/chrome"}
    assert system.missing(which=which, environ=environ) == []
    assert system.missing(which=lambda name: None, environ={}) == [GRAPHVIZ, CHROMIUM]


def test_install_command_as_root_with_sudo_and_without() -> None:
    def which(name: str) -> str | None:
        return f"/usr/bin/{name}"

    root = system.install_command(["graphviz"], uid=0, which=which)
    assert root is not None and root[0] == ["apt-get", "update", "-qq"]
    assert root[1][-4:] == ["install", "-y", "-qq", "graphviz"]
    sudo = system.install_command(["chromium"], uid=1000, which=which, sudo_works=lambda: True)
    assert sudo is not None and all(c[:2] == ["sudo", "-n"] for c in sudo)
    assert system.install_command(["x"], uid=1000, which=which, sudo_works=lambda: False) is None
    no_apt = system.install_command(["x"], uid=0, which=lambda n: None)
    assert no_apt is None


def test_check_names_the_packages_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setattr(system, "missing", lambda: [GRAPHVIZ, CHROMIUM])
    assert system._main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install graphviz chromium" in err and len(err.splitlines()) == 1
