"""`pip install .` gives a working `genome` command: the wheel is built from a copy of the checkout
(so no build/ or *.egg-info lands in it) and installed into a temporary venv, then run from a folder
that is not the checkout.

Offline: the build uses this venv's setuptools and wheel (--no-build-isolation), and the temporary
venv sees this venv's packages through a .pth file, so pip finds every declared dependency installed
and downloads nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from genome.demo import DEMO_BRANDS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _checkout_copy(target: Path) -> Path:
    """The checkout's files as they are now (tracked and new, without ignored ones)."""
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the install test builds from a git checkout")
    source = _checkout_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    _run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(source)], source)
    (built,) = out.glob("creative_genome-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(bin folder of a fresh venv with the wheel installed, environment to run it in)."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (purelib / "dependencies-from-the-test-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([*PIP, "--python", str(venv / "bin" / "python"), "install", "--no-index", str(wheel)], venv)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "GENOME_"))}
    return venv / "bin", env


def test_the_wheel_ships_the_package_and_its_sql_and_nothing_of_the_repository(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"genome"}
    shipped_sql = {name for name in names if name.endswith(".sql")}
    in_checkout = {path.relative_to(ROOT).as_posix() for path in (ROOT / "genome").rglob("*.sql")}
    assert in_checkout and shipped_sql == in_checkout
    assert not [name for name in names if "__pycache__" in name]
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    requires = {
        line.removeprefix("Requires-Dist: ").replace(" ", "")
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ")
    }
    lines = (
        line.split("#")[0].replace(" ", "") for line in (ROOT / "requirements.txt").read_text().splitlines()
    )
    pinned = {line for line in lines if line}
    assert requires == pinned
    entry_points = zipfile.ZipFile(wheel).read(metadata.replace("METADATA", "entry_points.txt")).decode()
    assert "genome = genome.cli:main" in entry_points


def test_the_genome_command_loads_the_demo_from_any_folder(installed, tmp_path):
    bin_dir, env = installed
    where = _run([str(bin_dir / "python"), "-c", "import genome; print(genome.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(bin_dir.parent), "genome was imported from outside the venv"
    database = f"sqlite:///{tmp_path / 'x.db'}"
    _run([str(bin_dir / "genome"), "--database", database, "demo"], tmp_path, env)
    brands = json.loads(
        _run([str(bin_dir / "genome"), "--database", database, "brands", "--json"], tmp_path, env)
    )
    assert sorted(brand["id"] for brand in brands) == sorted(brand.id for brand in DEMO_BRANDS)
    ads = {brand["id"]: brand["ads"] for brand in brands}
    assert ads == {brand.id: brand.native_ads + brand.imported_ads for brand in DEMO_BRANDS}


def test_the_genome_command_exits_with_the_cli_status(installed, tmp_path):
    bin_dir, env = installed
    done = subprocess.run(
        [str(bin_dir / "genome"), "--database", "mysql://nowhere/db", "brands"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert (
        subprocess.run([str(bin_dir / "genome")], cwd=tmp_path, env=env, capture_output=True).returncode == 2
    )
