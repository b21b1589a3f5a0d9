"""Load test: concurrent conversations against ``aftercare run --workers N`` on PostgreSQL, on 127.0.0.1 only.

For each worker count (``--workers``, default 1 and 2) a fresh PostgreSQL database and data dir are made,
``aftercare run --demo --workers N`` is started with Telegram in webhook mode against a local fake Bot API
(tests/fakes), and ``--conversations`` customers (default 64) each send ``--messages`` messages one after
the other (the next after the reply): half of them through the web chat's JSON API (``POST
/api/messages``), half as Telegram updates posted to ``/telegram/webhook`` with the secret header (the
webhook answers as soon as the update is stored; such a message counts as done when its reply reaches
the fake Bot API; one whose inbox row is processed and no reply follows within 5 s counts as answered with
silence). The
texts are the demo KB's phrasings and the shipped classifier examples, so answers, escalations and
messages joining an open ticket are mixed as on a desk.

Printed per worker count: messages, throughput (messages/s over the whole run), p50/p99 latency of a
message (request to response), HTTP errors, the server's CPU time per message (its processes, from /proc:
a figure other jobs on the machine disturb far less than the wall-clock ones), the database transactions
and rows read per message (``pg_stat_database``: round trips the desk's own work costs), and the ratio of the
throughput to the serving encoder's batched throughput (``--batch`` texts per call, in this process):
how close the whole desk gets to the encoder's own ceiling. Bounded: ``--max-seconds`` per run (default
180) stops sending; every process is stopped at the end.

    nice -n 10 python bench/load.py [--conversations 64] [--messages 4] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG_ADMIN = os.environ.get("AFTERCARE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = "123456:LOADTEST"


def texts() -> list[str]:
    out: list[str] = []
    for path, column in ((REPO / "kb" / "demo" / "cases.csv", "question"),
                         (REPO / "classifier" / "data" / "examples.csv", "text")):
        with path.open(newline="", encoding="utf-8") as fh:
            out += [r[column] for r in csv.DictReader(fh) if r.get(column)]
    random.Random(0).shuffle(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def batched_encoder_throughput(sample: list[str], batch: int) -> float:
    """Texts per second of the serving encoder (all-MiniLM-L6-v2, int8 as served by default), ``batch`` texts
    per call (median of three)."""
    from kb.onnx_embedder import OnnxEmbedder

    emb = OnnxEmbedder("all-MiniLM-L6-v2", quantize=True, batch_size=batch)
    part = (sample * (batch // max(1, len(sample)) + 1))[:batch]
    emb.encode(part)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        emb.encode(part)
        times.append(time.perf_counter() - t0)
    return batch / sorted(times)[1]


def create_database() -> tuple[str, str]:
    import sqlalchemy as sa

    name = f"aftercare_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_counts(name: str) -> tuple[int, int]:
    """Transactions (committed + rolled back) and rows read (returned + fetched) of database ``name`` so far,
    from ``pg_stat_database`` (as its server processes last reported them: read after they exit for exact
    figures). (0, 0) where the view cannot be read."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
            row = c.execute(sa.text("SELECT xact_commit + xact_rollback, tup_returned + tup_fetched "
                                    "FROM pg_stat_database WHERE datname = :n"), {"n": name}).one_or_none()
    except sa.exc.SQLAlchemyError:
        return 0, 0
    finally:
        admin.dispose()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def cpu_seconds(root: int) -> float:
    """CPU time (user + system, seconds) of process ``root`` and its descendants, from /proc (Linux; 0 where
    /proc cannot be read): what the server under test spent, whatever else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in stats.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(stats[pid][1] for pid in tree if pid in stats)


def counting_bot_api() -> Any:
    """The fake Bot API (tests/fakes) counting the messages sent to each chat and waking whoever waits for
    one: the load generator waits on that instead of scanning every recorded send every few ms, which
    took a good share of the 2 cores the server under test runs on."""
    from tests.fakes.telegram_api import FakeBotAPI

    class CountingBotAPI(FakeBotAPI):
        def __init__(self, token: str) -> None:
            super().__init__(token)
            self.sent: dict[int, int] = {}
            self._arrived: dict[int, asyncio.Event] = {}

        async def add(self, method: str, params: dict[str, Any]) -> None:
            await super().add(method, params)
            if method == "sendMessage":
                chat = int(params["chat_id"])
                self.sent[chat] = self.sent.get(chat, 0) + 1
                self._arrived.setdefault(chat, asyncio.Event()).set()

        async def wait_sent(self, chat: int, more_than: int, timeout: float) -> bool:
            """Whether chat ``chat`` has more than ``more_than`` messages sent, waiting up to ``timeout`` s."""
            event = self._arrived.setdefault(chat, asyncio.Event())
            if self.sent.get(chat, 0) > more_than:
                return True
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
            return self.sent.get(chat, 0) > more_than

    return CountingBotAPI(TOKEN)


async def run_once(workers: int, args: argparse.Namespace, pool: list[str]) -> dict[str, Any]:
    import httpx

    from bot.adapters.web_access import identity_hash

    bot_api = counting_bot_api()
    api_url = await bot_api.start()
    db_name, db_url = create_database()
    port = free_port()
    secret = secrets.token_hex(12)
    site_secret = secrets.token_hex(16)  # the web chat's customers come as a site's signed users
    data = Path(tempfile.mkdtemp(prefix="aftercare-load-"))
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "AFTERCARE_DATABASE__URL": db_url,
           "AFTERCARE_WEB__ADDRESS_MESSAGES_PER_MINUTE": "0", "AFTERCARE_WEB__CUSTOMER_MESSAGES_PER_MINUTE": "0",
           "AFTERCARE_APP__LOG_LEVEL": "WARNING", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": secret,
           "AFTERCARE_TELEGRAM__MODE": "webhook", "AFTERCARE_TELEGRAM__API_URL": api_url,
           "AFTERCARE_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
           "AFTERCARE_DATABASE__POOL_SIZE": "10", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(REPO), "WEB_IDENTITY_SECRET": site_secret,
           # the steady state: every worker loads the Korean encoder at start, not at its first Korean message
           "AFTERCARE_EMBEDDING__MULTILINGUAL_AT_START": "true"}
    env.pop("SLACK_BOT_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--demo", "--workers", str(workers),
                             "--host", "127.0.0.1", "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies: list[float] = []
    tx0 = tx1 = (0, 0)
    errors = silent = 0
    server_cpu = 0.0
    silenced: list[tuple[int, int, str]] = []  # Telegram messages processed without a reply: chat, update, text
    sent_to: list[tuple[int, str]] = []  # every Telegram message posted: chat, text
    lost = 0
    import sqlalchemy as sa

    watch = sa.create_engine(db_url, pool_size=4)

    polls = 0

    def processed(update_id: str) -> bool:
        """Whether the worker has processed the stored Telegram update (its inbox row is done or failed)."""
        nonlocal polls
        polls += 1
        with watch.connect() as conn:
            status = conn.execute(sa.text("SELECT status FROM inbound_updates WHERE source = 'telegram' "
                                          "AND external_id = :u"), {"u": update_id}).scalar()
        return status in ("done", "failed")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + 600
            while True:
                if proc.poll() is not None:
                    raise SystemExit("aftercare run exited")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("aftercare run did not come up")
                await asyncio.sleep(0.5)
            await asyncio.sleep(2 + 2 * workers)  # the other workers finish loading
            keys: dict[str, str] = {}

            async def web_post(customer: str, text: str) -> httpx.Response:
                """POST /api/messages with the customer's chat key (asked once from /api/session)."""
                if customer not in keys:
                    s = await client.post("/api/session", json={"user_id": customer,
                                                                "user_hash": identity_hash(site_secret, customer)})
                    keys[customer] = str(s.json().get("key", ""))
                return await client.post("/api/messages", json={"customer": customer, "text": text},
                                         headers={"Authorization": f"Bearer {keys[customer]}"})

            for i in range(4 * workers):  # warm every worker
                await web_post(f"warm{i}", pool[i % len(pool)])

            stop_at = time.monotonic() + args.max_seconds

            async def conversation(c: int) -> None:
                nonlocal errors, silent
                for m in range(args.messages):
                    if time.monotonic() > stop_at:
                        return
                    text = pool[(c * args.messages + m) % len(pool)]
                    t0 = time.perf_counter()
                    if c % 2 == 1:  # Telegram customers: an update posted to the webhook
                        chat = 900000 + c
                        before = bot_api.sent.get(chat, 0)
                        update = bot_api.update_text(chat, text)
                        sent_to.append((chat, text))
                        r = await client.post("/telegram/webhook", json=update,
                                              headers={"X-Telegram-Bot-Api-Secret-Token": secret})
                        # the webhook answers once the update is stored: the message is done when its reply is
                        # sent (through the outbox, after the inbox has processed the update); one processed
                        # without a reply for 5 s is counted as answered with silence
                        given_up, quiet_by = time.monotonic() + 120, 0.0
                        while r.status_code == 200 and not await bot_api.wait_sent(chat, before, 1.0):
                            now = time.monotonic()
                            if not quiet_by and await asyncio.to_thread(processed, str(update["update_id"])):
                                quiet_by = now + 5
                            if quiet_by and now > quiet_by:
                                silent += 1
                                silenced.append((chat, update["update_id"], text))
                                break
                            if now > given_up:
                                errors += 1
                                break
                    else:
                        r = await web_post(f"load{c}", text)
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors += 1

            t0 = time.perf_counter()
            cpu0 = cpu_seconds(proc.pid)
            await asyncio.sleep(1.1)  # the warm-up's statistics reach pg_stat_database (reported every second)
            tx0 = database_counts(db_name)
            polls = 0
            await asyncio.gather(*(conversation(c) for c in range(args.conversations)))
            wall = time.perf_counter() - t0
            server_cpu = cpu_seconds(proc.pid) - cpu0
            # every Telegram message should get one reply: wait (30 s at most) for late ones, then count the
            # chats still short of replies (lost) apart from those whose reply only came late
            expected = {900000 + c: sum(1 for chat, _ in sent_to if chat == 900000 + c)
                        for c in range(1, args.conversations, 2)}
            settle = time.monotonic() + 30
            while time.monotonic() < settle and any(len(bot_api.texts_to(ch)) < n for ch, n in expected.items()):
                await asyncio.sleep(0.2)
            lost = sum(max(0, n - len(bot_api.texts_to(ch))) for ch, n in expected.items())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        await bot_api.stop()
        watch.dispose()  # its server processes exit and report: the counts below are complete
        time.sleep(0.5)
        tx1 = database_counts(db_name)
        drop_database(db_name)
        shutil.rmtree(data, ignore_errors=True)
    ms = np.asarray(latencies) * 1000
    return {"workers": workers, "messages": len(latencies), "seconds": round(wall, 2),
            "server_cpu_ms_per_message": round(1000 * server_cpu / max(1, len(latencies)), 1),
            # the load test's own polls of the inbox are one transaction each: not the server's
            "transactions_per_message": round((tx1[0] - tx0[0] - polls) / max(1, len(latencies)), 1),
            "rows_read_per_message": round((tx1[1] - tx0[1]) / max(1, len(latencies)), 1),
            "throughput": round(len(latencies) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "errors": errors, "silent": silent,
            "telegram_sends": len(bot_api.of("sendMessage")), "silenced": silenced, "lost": lost}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--conversations", type=int, default=64)
    p.add_argument("--messages", type=int, default=4, help="messages per conversation (default 4)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--max-seconds", type=float, default=180, help="stop sending after this long (default 180)")
    p.add_argument("--batch", type=int, default=64, help="texts per call for the encoder's batched throughput")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    pool = texts()
    results = []
    for w in args.workers:
        r = asyncio.run(run_once(w, args, pool))
        r["load_1min"] = round(os.getloadavg()[0], 2)
        results.append(r)
    enc = batched_encoder_throughput(pool[:256], args.batch)
    for r in results:
        r["ratio_to_batched_encoder"] = round(r["throughput"] / enc, 2)
    if args.json:
        print(json.dumps({"encoder_batched_texts_per_s": round(enc, 1), "runs": results}))
        return 0
    print(f"{args.conversations} concurrent conversations x {args.messages} messages (half web API, half Telegram "
          f"webhook), PostgreSQL; serving encoder batched: {enc:.1f} texts/s")
    for r in results:
        print(f"workers {r['workers']}: {r['messages']} messages in {r['seconds']} s = {r['throughput']} msg/s, "
              f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['errors']} errors, {r['silent']} Telegram messages "
              f"processed without a reply within 5 s ({r['lost']} still without one 30 s after the run); "
              f"ratio to the batched encoder {r['ratio_to_batched_encoder']}; the server's CPU "
              f"{r['server_cpu_ms_per_message']} ms a message, {r['transactions_per_message']} database "
              f"transactions and "
              f"{r['rows_read_per_message']} rows read a message; 1-min load average after "
              f"{r['load_1min']} ({os.cpu_count()} CPUs)")
        for chat, update_id, text in r["silenced"]:
            print(f"  no reply within 5 s: chat {chat}, update {update_id}: {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
