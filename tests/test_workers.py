"""`aftercare run --workers 2` on one PostgreSQL: any worker answers, every worker's index follows the KB,
the per-address limit is shared through Redis, /metrics adds the workers up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.webchat import SITE_SECRET, key_over_http

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/15"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(port: int, customer: str, text: str) -> tuple[int, dict]:
    key = key_over_http(f"http://127.0.0.1:{port}", customer)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages",
                                 data=json.dumps({"customer": customer, "text": text}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


@pytest.mark.postgres
@pytest.mark.model
def test_two_workers_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    import redis

    r = redis.Redis.from_url(REDIS)
    r.delete("aftercare:rate:127.0.0.1")
    port = _free_port()
    env = {**os.environ, "WEB_IDENTITY_SECRET": SITE_SECRET, "AFTERCARE_DATA_DIR": str(tmp_path / "data"),
           "AFTERCARE_DATABASE__URL": pg_url,
           "AFTERCARE_WEB__RATE_LIMIT_REDIS": REDIS, "AFTERCARE_WEB__ADDRESS_MESSAGES_PER_MINUTE": "12",
           "AFTERCARE_JOBS__ENABLED": "false", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--demo", "--workers", "2",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as h:
                    if h.status == 200 and len(children(proc.pid)) >= 2:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the workers did not come up"
            time.sleep(0.5)
        time.sleep(3)  # the second worker may still be loading: its port is shared with the first

        answers = [post(port, f"w{i}", "how do I reset my password?") for i in range(4)]
        assert all(code == 200 and body["case_id"] == "reset-password" for code, body in answers), answers

        # a case published from another process: every worker answers it on its next message
        cases = tmp_path / "new.csv"
        cases.write_text("case_id,question,answer\nchime-pairing,how do I pair the doorbell chime with the base "
                         "station?,Hold the chime's button until it blinks blue.\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "bot.cli", "kb", "import", str(cases)], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)
        new = [post(port, f"n{i}", "how do I pair the doorbell chime with the base station?") for i in range(6)]
        assert all(code == 200 and body["case_id"] == "chime-pairing" for code, body in new), new

        # 10 messages so far from 127.0.0.1; the limit of 12 a minute holds across both workers
        more = [post(port, f"x{i}", "how do I reset my password?")[0] for i in range(4)]
        assert more == [200, 200, 429, 429], more

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as m:
            text = m.read().decode()
        answered = sum(float(line.split()[-1]) for line in text.splitlines()
                       if line.startswith("aftercare_messages_total{") and 'action="answer"' in line)
        assert answered == 12, [line for line in text.splitlines() if line.startswith("aftercare_messages")]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        r.delete("aftercare:rate:127.0.0.1")
    # the cores are shared out between the workers' encoders rather than each taking them all
    threads = max(1, len(os.sched_getaffinity(0)) // 2)
    started = proc.stderr.read().decode() if proc.stderr else ""
    assert f"2 workers, {threads} encoder thread{'s' if threads != 1 else ''} each" in started, started


def test_several_workers_refuse_telegram_long_polling(tmp_path: Path) -> None:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(tmp_path / "data"), "TELEGRAM_BOT_TOKEN": "123:abc",
           "AFTERCARE_TELEGRAM__MODE": "polling", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--workers", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "telegram.mode" in done.stderr and "webhook" in done.stderr
