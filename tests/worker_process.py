"""A real `aftercare run` worker as a child process, for the tests that kill one mid-message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_worker(port: int, data_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`aftercare run --port PORT` on ``data_dir`` with ``env`` added, its output appended to ``log``."""
    cmd = [sys.executable, "-m", "bot.cli", "--config", str(ROOT / "config.yaml"), "run", "--port", str(port)]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "AFTERCARE_DATA_DIR": str(data_dir)},
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop_worker(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """SIGTERM a worker still running, then SIGKILL it after ``timeout_s`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
