"""The built wheel carries config/ data: a fresh venv reads the demo dataset from it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_the_demo_dataset(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("buurt-*.whl"))
    assert len(wheels) == 1
    size_kib = wheels[0].stat().st_size / 1024
    print(f"wheel {wheels[0].name}: {size_kib:.0f} KiB")
    assert size_kib < 2048
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # --no-deps: only our files matter here, and the check must not need the network.
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheels[0])],
        check=True,
        capture_output=True,
    )
    probe = (
        "import config, pathlib;"
        "d = config.load_toml('demo/dataset.toml');"
        "print(len(d['municipalities']), pathlib.Path(config.__file__).parent)"
    )
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.split()
    assert out[0] == "3"
    assert str(env_dir) in out[1], "read from the installed wheel, not the checkout"
