"""Field cases of Korean notices: the particle after a ticket id is chosen as Korean reads the number
(AC-000045가, AC-000010이), never "이(가)"; out of hours the Korean reply says when the team is back as
the English one does (today, tomorrow, a weekday), not as a timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.workflows import resolve_ticket
from handoff.clock import ManualClock
from tests.conftest import FakeChannel

# the particle after the last digit as Korean reads it: 일 삼 육 칠 팔 and 십 (a final 0) end in a consonant
SUBJECT_PARTICLE = {"0": "이", "1": "이", "2": "가", "3": "이", "4": "가", "5": "가", "6": "이", "7": "이",
                    "8": "이", "9": "가"}


def test_korean_notices_read_the_ticket_id_and_the_time_the_team_is_back(make_app) -> None:
    clock = ManualClock(datetime(2025, 11, 8, 10, 0, tzinfo=UTC))  # a Saturday
    chat = FakeChannel(make_app(clock=clock))
    ids = []
    for i in range(12):  # ids ending in 1..9, 0 (AC-000010), 1, 2
        out = chat.push("상담원 연결해 주세요", customer=f"ko-{i}")
        assert out.ticket_id, out
        ids.append(out.ticket_id)
        if i == 0:
            said = out.replies[0].text
            assert "월요일 09:00(UTC)부터" in said and "2025-" not in said, said
    for tid in ids:
        resolve_ticket(chat.ac, tid, "ann", "앱을 최신 버전으로 업데이트했습니다.", propose=False)
        notices = [m.text for m in chat.ac.handoff.transcript(chat.ac.handoff.get(tid).id) if m.author == "system"]
        assert notices, tid
        assert f"티켓 {tid}{SUBJECT_PARTICLE[tid[-1]]} 해결되었습니다" in notices[-1], notices[-1]
        assert "(가)" not in notices[-1]
