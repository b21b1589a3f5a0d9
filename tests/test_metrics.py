"""/metrics in the Prometheus text format: what an operator's Prometheus scrapes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.outbox.models import Delivery
from handoff.models import Ticket
from tests.webchat import web_client

ROOT = Path(__file__).resolve().parents[1]


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_messages_and_read_the_desk(make_app) -> None:
    ac = make_app()
    with web_client(ac) as client:
        before = scrape(client)
        assert before[("aftercare_index_vectors", ())] > 100
        assert before[("aftercare_kb_revision", ())] == before[("aftercare_index_revision", ())] >= 1
        assert before.get(("aftercare_messages_total", (("action", "answer"), ("channel", "web"))), 0) == 0

        for customer, text in [("m1", "how do I reset my password?"), ("m2", "how do I reset my password"),
                               ("m3", "the app crashes every time I upload a photo"), ("m4", "hm")]:
            assert client.post("/api/messages", json={"customer": customer, "text": text}).status_code == 200
        client.post("/api/messages", json={"customer": "m5", "text": "\x00\x01binary"})

        after = scrape(client)
        web = {k[1][0][1]: v for k, v in after.items()
               if k[0] == "aftercare_messages_total" and dict(k[1]).get("channel") == "web"}
        assert web["answer"] == 2 and web["escalate"] == 1 and web["refused"] == 1
        assert web.get("clarify", 0) + web.get("reply", 0) + web.get("escalate", 0) >= 2  # "hm" is one of them
        assert after[("aftercare_handle_seconds_count", ())] == 5
        assert after[("aftercare_decision_seconds_count", ())] == 4  # the refused message is never decided
        assert after[("aftercare_encoder_batch_size_count", ())] >= 4
        assert after[("aftercare_tickets_open", (("age", "<1h"), ("status", "new")))] >= 1
        assert after[("aftercare_sla_breached_tickets", (("stage", "first_response"),))] == 0

        # a ticket past its first-response due time, an outbox delivery waiting ten minutes, one failed
        now = ac.handoff.now()
        with ac.sessions() as s:
            s.execute(update(Ticket).values(first_response_due=now - timedelta(minutes=5),
                                            created_at=now - timedelta(hours=2)))
            s.add(Delivery(message_id=1, target="telegram", key="c1", status="pending",
                           created_at=now - timedelta(minutes=10)))
            s.add(Delivery(message_id=2, target="telegram", key="c1", status="failed", created_at=now))
            s.commit()
        desk = scrape(client)
        assert desk[("aftercare_sla_breached_tickets", (("stage", "first_response"),))] >= 1
        assert desk[("aftercare_tickets_open", (("age", "1h-4h"), ("status", "new")))] >= 1
        assert desk[("aftercare_tickets_open", (("age", "<1h"), ("status", "new")))] == 0
        assert desk[("aftercare_outbox_deliveries", (("status", "failed"),))] == 1
        assert desk[("aftercare_outbox_deliveries", (("status", "pending"),))] == 1
        assert desk[("aftercare_outbox_oldest_pending_seconds", ())] >= 590

        # a published case moves the revision; the index follows it
        ac.kb.add_case("metrics-case", ["where do I see the metrics?"], "At /metrics.")
        moved = scrape(client)
        assert moved[("aftercare_kb_revision", ())] > desk[("aftercare_kb_revision", ())]
        assert moved[("aftercare_index_revision", ())] == moved[("aftercare_kb_revision", ())]

        # every series the shipped Grafana dashboard plots is one /metrics serves
        dashboard = (ROOT / "deploy" / "grafana-dashboard.json").read_text(encoding="utf-8")
        json.loads(dashboard)
        plotted = set(re.findall(r"aftercare_[a-z_]+", dashboard))
        served = {name for name, _ in moved}
        assert plotted and plotted <= served, plotted - served
