"""kill -9 in the modes where the bot fetches its messages: Telegram long polling and Slack Socket Mode.
The real server (``aftercare run`` in a subprocess, SQLite) polls the local Bot API and holds a Socket Mode
connection to the local Slack peer; it is killed with SIGKILL as soon as Telegram was told every update
arrived (the next ``getUpdates`` confirms them) and Slack has every envelope's acknowledgement, then
restarted. Every message Telegram or Slack was told arrived is then stored once and answered."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from handoff.models import Conversation, Message
from tests.fakes.slack_api import FakeSlack, event_callback
from tests.fakes.telegram_api import FakeBotAPI
from tests.serving import free_port
from tests.worker_process import start_worker, stop_worker

TOKEN = "123456:TEST-token"
N = int(os.environ.get("AFTERCARE_CRASH_MESSAGES", "20"))
QUESTION = "how do I reset my password? ({})"


async def _until(check: Any, proc: subprocess.Popen[bytes] | None, what: str, log: Path,
                 timeout: float = 240) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-3000:]}")
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: {log.read_text()[-3000:]}")


async def test_kill_9_after_telegram_and_slack_were_told_loses_nothing(make_app, tmp_path) -> None:
    seeded = make_app()  # the demo KB and trained classifier, on SQLite
    seeded.warm()
    data_dir = Path(seeded.data_dir)
    bot_api, slack = FakeBotAPI(TOKEN), FakeSlack()
    await bot_api.start()
    await slack.start()
    port = free_port()
    env = {
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
        "AFTERCARE_WEB__INBOX_LEASE_S": "2", "AFTERCARE_JOBS__ENABLED": "false",
        "AFTERCARE_OUTBOX__POLL_INTERVAL_S": "0.2", "AFTERCARE_APP__LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_TELEGRAM__MODE": "polling",
        "AFTERCARE_TELEGRAM__API_URL": bot_api.url, "AFTERCARE_TELEGRAM__POLL_TIMEOUT_S": "1",
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "AFTERCARE_SLACK__MODE": "socket",
        "AFTERCARE_SLACK__API_URL": slack.api_url,
    }
    log = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    proc = start_worker(port, data_dir, env, log)
    chats = [800000 + i for i in range(N)]
    dms = [f"DKP{i}" for i in range(N)]
    try:
        async def healthy() -> bool:
            try:
                async with httpx.AsyncClient(base_url=base) as http:
                    return (await http.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await _until(healthy, proc, "the server did not come up", log)
        pushed = [bot_api.update_text(chat, QUESTION.format(chat)) for chat in chats]
        for update in pushed:
            bot_api.push(update)
        envelopes = []
        for i, dm in enumerate(dms):
            event = {"type": "message", "channel": dm, "channel_type": "im", "user": f"UKP{i}",
                     "text": QUESTION.format(dm), "ts": f"{time.time():.6f}"}
            envelopes.append(await slack.socket_send("events_api", event_callback(event)))

        async def all_told() -> bool:  # Telegram dropped every update (confirmed); Slack has every ack
            acked = {p.get("envelope_id") for p in slack.of("socket:ack")}
            return not bot_api.updates and all(e in acked for e in envelopes)

        await _until(all_told, proc, "Telegram and Slack were not told", log)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        answered_before = sum(1 for chat in chats if bot_api.texts_to(chat)) + \
            sum(1 for dm in dms if slack.posts(dm))
        proc = start_worker(port, data_dir, env, log)
        await _until(healthy, proc, "the server did not come back", log)

        def stored(text: str) -> tuple[int, int]:
            """(times the customer's message is stored, bot replies stored after it)"""
            with seeded.sessions() as s:
                conv = s.scalar(select(Message.conversation_id).where(Message.text == text))
                if conv is None:
                    return 0, 0
                n = s.scalar(select(func.count()).select_from(Message)
                             .where(Message.conversation_id == conv, Message.author == "customer")) or 0
                bot = s.scalar(select(func.count()).select_from(Message)
                               .where(Message.conversation_id == conv, Message.author == "bot")) or 0
                return int(n), int(bot)

        texts = [QUESTION.format(c) for c in chats] + [QUESTION.format(d) for d in dms]

        async def all_answered() -> bool:
            return all(stored(t)[1] >= 1 for t in texts) and all(bot_api.texts_to(c) for c in chats) \
                and all(slack.posts(d) for d in dms)

        try:
            await _until(all_answered, proc, "not every message was answered after the restart", log, timeout=180)
        finally:
            lost = [t for t in texts if stored(t)[0] == 0]
            print(f"\npush-mode crash test: {len(texts)} told, {answered_before} answered before the kill, "
                  f"lost {len(lost)}")
        assert all(stored(t) == (1, 1) for t in texts), [(t, stored(t)) for t in texts if stored(t) != (1, 1)]
        with seeded.sessions() as s:
            convs = s.scalar(select(func.count()).select_from(Conversation)) or 0
        assert convs == len(texts)
    finally:
        stop_worker(proc)
        await bot_api.stop()
        await slack.stop()
