"""Settings: declared data with defaults and help, loaded from config.yaml and the environment, and
the desk's typed settings (SLA book, queues, problems) built from them.

Over 350 lines: every setting of every section is declared here, each with its
default and help; splitting the sections apart would scatter the one list config.yaml mirrors.

Every setting is a field of a section dataclass below; its ``help`` metadata is the one-line
documentation, and ``tests/test_config.py`` fails when config.yaml does not document a field.

Precedence, lowest first: the defaults here, the YAML file (``AFTERCARE_CONFIG`` or
``./config.yaml``), then ``AFTERCARE_<SECTION>__<KEY>`` environment variables (values parsed
as YAML scalars). ``AFTERCARE_DATA_DIR`` sets ``app.data_dir``. A wrong key or value raises
:class:`ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from classifier.labels import LabelsError, LabelSpec, parse_labels
from classifier.language import NAMES as LANGUAGE_NAMES
from handoff.settings import DeskSettings, Queue
from handoff.settings import ProblemSettings as DeskProblemSettings
from handoff.sla import SlaBook, SlaConfigError


def _s(default: Any, help: str, *, choices: tuple[Any, ...] | None = None) -> Any:
    meta: dict[str, Any] = {"help": help}
    if choices is not None:
        meta["choices"] = choices
    if isinstance(default, list | dict):
        original = default

        def fresh() -> Any:
            return copy.deepcopy(original)

        return field(default_factory=fresh, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class AppSettings:
    data_dir: str = _s("./var", "Directory for all state: SQLite file, FAISS index, classifier model.")
    language: str = _s("en", "Language of the bot's replies.", choices=("en", "ko"))
    max_message_chars: int = _s(4000, "Longer customer messages are refused with a clear reply.")
    log_level: str = _s("INFO", "Logging level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class WebSettings:
    host: str = _s("127.0.0.1", "Address the web chat, JSON API and webhooks listen on.")
    port: int = _s(8000, "Port of the web app.")
    customer_messages_per_minute: int = _s(20, "Messages one web-chat customer may send per minute; more get "
                                               "HTTP 429 and are kept in the chat box (0: no limit).")
    address_messages_per_minute: int = _s(60, "Messages one client address may send per minute to the web chat "
                                              "(0: no limit); per worker unless rate_limit_redis or "
                                              "rate_limit_database is set.")
    rate_limit_redis: str = _s("", "Redis URL (redis://127.0.0.1:6379/0) where the per-address limit is counted, "
                                   "shared by every worker and host; empty: each worker counts its own.")
    rate_limit_database: bool = _s(False, "Count the per-address limit in the PostgreSQL database instead (shared "
                                          "by every worker and host, no Redis needed); rate_limit_redis wins.")
    max_body_bytes: int = _s(262144, "Largest request body any route reads (web API, webhooks, console forms), "
                                     "counted on the bytes actually received, chunked or not; more gets HTTP 413.")
    inbox_lease_s: float = _s(30.0, "A stored Telegram or Slack update whose worker died while processing it is "
                                    "taken up again after this many seconds.")
    trusted_proxies: str = _s("", "Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, "
                                  "'*' for any); empty: the client address is the connection's own.")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _s("", "SQLAlchemy URL; empty means SQLite at <data_dir>/aftercare.db. "
                      "PostgreSQL: postgresql+psycopg://user@host:5432/db")
    connect_retries: int = _s(5, "Attempts to reach the database before giving up (at start and per call).")
    retry_delay_s: float = _s(0.5, "First delay between database attempts; doubles each time.")
    pool_size: int = _s(5, "Connections kept per worker (PostgreSQL).")
    sqlite_synchronous: str = _s("normal", "SQLite only: normal (a commit is not synced to disk; a power "
                                           "cut may lose the last messages, never corrupts) or full (every "
                                           "commit synced; slower).", choices=("normal", "full"))


@dataclass(frozen=True)
class EmbeddingSettings:
    model: str = _s("all-MiniLM-L6-v2", "The encoder: use-multilingual-v3 (15 languages), "
                                           "multilingual-e5-small-q4, all-MiniLM-L6-v2 (English), a+b (both "
                                           "concatenated) or a sentence-transformers model name.")
    multilingual: str = _s("use-multilingual-v3", "With an English-only model (all-MiniLM-L6-v2): the encoder of "
                                                   "messages in other languages (Korean...), with its own index "
                                                   "and classifier (a language-routed pair); empty: none.")
    multilingual_at_start: bool = _s(False, "Load the multilingual half of the pair at start (true) or at the "
                                            "first message that needs it (false: a worker that serves only "
                                            "English holds about 200 MB less; that first message waits a few "
                                            "seconds).")
    main_min_cases: float = _s(0.9, "With a language-routed pair: the share of published cases the main "
                                    "(English) encoder must read - cases with a phrasing in a language it reads - "
                                    "for it to decide messages it reads; under it (a KB written mostly in Korean) "
                                    "every message is decided by the multilingual half.")
    multilingual_head: bool = _s(True, "The multilingual encoder's decisions about which case answers come from "
                                       "a case head (logistic regression over its vectors, calibrated by "
                                       "cross-validation) rather than its neighbours' vote.")
    crosslingual: str = _s("multilingual-e5-small-q4", "With a language-routed pair: a second encoder for a "
                                                        "message in a non-Latin writing system fewer than "
                                                        "crosslingual_min_cases of the published cases have a "
                                                        "phrasing in (Korean against an English-only KB): both "
                                                        "encoders' similarities choose the case, only examples in "
                                                        "the KB's writing systems voting; empty: the multilingual "
                                                        "encoder alone.")
    crosslingual_gloss: bool = _s(True, "With crosslingual: a Korean message's word-for-word English gloss "
                                        "(classifier/data/gloss_ko_en.tsv) is read by the main (English) encoder "
                                        "as a third view against the English phrasings.")
    crosslingual_min_cases: float = _s(0.5, "The share of published cases with a phrasing in a message's writing "
                                            "system under which the message is read across languages "
                                            "(crosslingual).")
    device: str = _s("cpu", "Torch device for the encoder.")
    batch_size: int = _s(64, "Batch size when embedding many texts (imports, rebuilds).")
    runtime: str = _s("onnx", "onnx: serve the encoder through onnxruntime, exported once from the model's "
                              "weights and cached (no torch in the serving process; falls back to torch for "
                              "a model that cannot be exported); torch: sentence-transformers.",
                      choices=("onnx", "torch"))
    quantize: bool = _s(True, "With runtime onnx: int8 dynamic quantisation, per-channel weights (80 MB less per "
                              "worker, faster; BANKING77 dev routing within 0.4 point of fp32); false: fp32.")
    threads: int = _s(0, "With runtime onnx: encoder threads per worker (0: one per core).")


@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = _s(10, "Neighbours (phrasings and examples) that vote on a message.")
    temperature: float = _s(0.05, "Softmax temperature of the neighbour vote; lower trusts the nearest more.")
    vote_threshold: str = _s("auto", "Vote share a case needs to be answered: 'auto' calibrates it from the "
                                     "knowledge base's own phrasings, or a number in 0..1.")
    min_score: float = _s(0.40, "Cosine similarity the best phrasing of the answered case must reach.")
    target_precision: float = _s(0.975, "Calibration goal: share of answers that pick the right case "
                                       "(its 95% lower confidence bound, leave-one-out).")
    max_vote_threshold: float = _s(0.9, "Ceiling of the calibrated vote threshold (a thin KB cannot reach the goal).")
    exact_score: float = _s(0.92, "A message this similar to one phrasing is answered with its case "
                                  "even under the vote threshold.")
    uncovered_similarity: float = _s(0.8, "Question examples whose nearest KB phrasing is less similar than "
                                           "this vote to escalate (0 turns it off).")
    ann_min_phrasings: int = _s(200_000, "From this many phrasings on, the index is approximate (faiss IVF), "
                                         "rebuilt in the background when the KB changes; under it, exact.")
    ann_nprobe: int = _s(32, "Inverted lists an approximate index searches (more: better recall, slower).")
    calibration_sample: int = _s(3000, "Phrasings and examples sampled for calibration (leave-one-out).")
    reply_min_vote: float = _s(0.6, "Vote share a reply label (greeting, thanks) needs for its template; "
                                    "under it the bot asks the customer to say more (0..1).")
    clarify_max_options: int = _s(3, "\"Did you mean...?\": at most this many cases offered as buttons to a message "
                                     "not answered (under 2 turns it off).")
    clarify_min_share: float = _s(0.1, "Vote share each offered case needs (0..1).")
    clarify_threshold: str = _s("auto", "Combined vote share the offered cases need: 'auto' calibrates it from "
                                        "the knowledge base's own phrasings for clarify_precision, or a number "
                                        "in 0..1.")
    scope_keep: float = _s(0.975, "Out of scope: a message farther from every phrasing than this share of the "
                                   "knowledge base's own phrasings are from their case's nearest phrasing "
                                   "(leave-one-out) is escalated (1 turns it off).")
    scope_by: str = _s("case", "Out of scope: 'case' sets the floor per case, relative to how near its own "
                               "phrasings are to each other (a tight case wants a nearer message); 'kb' one "
                               "floor for the whole knowledge base.", choices=("case", "kb"))
    unseen_share: float = _s(0.1, "Questions the knowledge base has no case for, in the answer's calibration: "
                                   "this share of the leave-case-out votes counts as wrong answers (0..1).")
    two_stage: bool = _s(True, "Two stages: the labelled examples and the phrasings vote question or not (fault, "
                               "human...), then the phrasings (and, weighed down, the question examples no phrasing "
                               "covers) vote on the case, so that many examples do not outvote a case with few "
                               "phrasings (false: one vote of all).")
    clarify_precision: float = _s(0.9, "Calibration goal of clarify_threshold: share of clarifications whose "
                                       "options hold the right case (95% lower bound, leave-one-out).")
    spelling: bool = _s(True, "Misspelt words (\"chnage my emial\") are read as the knowledge base's own words "
                              "(its phrasings and the classifier's examples) before the message is embedded; "
                              "only words neither the knowledge base nor the encoder's vocabulary knows.")
    case_head: bool = _s(True, "A logistic head over the encoder's vectors beside the neighbour vote: a message "
                               "the vote leads to a case under its threshold is answered when the vote has "
                               "case_head_vote of it and the head case_head_prob (classifier/head_agree.py).")
    case_head_vote: float = _s(0.5, "Vote share the leading case needs for the head to confirm it (0..1).")
    case_head_prob: float = _s(0.7, "Probability the head must give the vote's case to answer it (0..1).")
    case_head_clarify: float = _s(0.7, "An unsure question whose head is torn between two or three cases (each "
                                       "0.1 or more) that together have this probability is asked \"did you "
                                       "mean...?\" with them (0 turns it off; 0..1).")
    human_min_vote: float = _s(0.5, "Vote share (or classifier probability) the human label needs before a "
                                    "message counts as asking for a person (0..1); under it the rest of "
                                    "the vote decides.")


@dataclass(frozen=True)
class ClassifierSettings:
    examples: str = _s("", "Training examples (CSV text,label) used when no model was trained; "
                           "empty means the examples shipped with Aftercare.")
    labels: list[dict[str, Any]] = _s(
        [
            {"name": "question", "action": "answer", "priority": "normal"},
            {"name": "fault", "action": "escalate", "priority": "high"},
            {"name": "human", "action": "escalate", "priority": "normal"},
            {"name": "complaint", "action": "escalate", "priority": "high"},
            {"name": "greeting", "action": "reply", "priority": "low"},
            {"name": "thanks", "action": "reply", "priority": "low"},
            {"name": "out_of_scope", "action": "escalate", "priority": "low"},
            {"name": "billing", "action": "escalate", "priority": "normal"},
        ],
        "Labels: name, action (answer | escalate | reply) and default priority (low | normal | high | urgent).",
    )
    human_label: str = _s("human", "The label that means 'asks for a person': always escalates.")
    languages: list[str] = _s(["en"], "Languages the bot reads besides the encoder's own (ISO codes); a message "
                                      "clearly written in another is handed to a person.")


@dataclass(frozen=True)
class TicketSettings:
    id_prefix: str = _s("AC", "Prefix of ticket ids, e.g. AC-000123.")
    transcript_messages: int = _s(20, "Recent conversation messages copied into a new ticket.")
    reopen_window_hours: float = _s(72.0, "A customer message this soon after resolution reopens the ticket "
                                          "(0 turns reopening off).")
    auto_close_hours: float = _s(168.0, "Resolved tickets quiet this long are closed by the periodic job (0: never).")
    low_rating_alert: int = _s(2, "A satisfaction rating at or under this (1-5) raises a 'low rating' alert for the "
                                  "ticket's team (0 turns it off).")
    new_issue_similarity: float = _s(0.45, "While a ticket is open, a fault message less similar than this (cosine) "
                                           "to the ticket's subject and everything the customer said on it is "
                                           "flagged to the agent as a new issue (0 turns flagging off).")


@dataclass(frozen=True)
class ConsoleSettings:
    session_hours: float = _s(12.0, "A console login lasts this many hours.")
    secure_cookies: bool = _s(False, "Mark console cookies Secure (sent over HTTPS only); set true behind HTTPS.")
    login_max_failures: int = _s(5, "Failed logins allowed per user name (from any address) within login_window_s.")
    login_window_s: int = _s(900, "Window, in seconds, over which failed console logins are counted.")
    login_address_max_failures: int = _s(20, "Failed logins allowed per client address (any user names) within "
                                              "login_window_s; then refused.")
    login_hash_slots: int = _s(2, "Password checks (argon2, 64 MiB each) run at once per worker; more logins wait "
                                  "up to 10 s, then get HTTP 503 with Retry-After.")
    queue_refresh_s: float = _s(5.0, "How often the agents' queue and ticket pages refresh themselves.")
    duplicate_score: float = _s(0.9, "Editors are warned when a case's phrasing is this similar (cosine) to "
                                     "another published case.")
    recent_alerts: int = _s(10, "Newest desk alerts (SLA, critical tickets, incidents) shown above the queue.")
    suggest_min_score: float = _s(0.5, "A ticket's console page and its post in the Slack agents' channel suggest "
                                       "solved cases at least this similar (cosine) to the customer's messages "
                                       "(1 turns it off).")


@dataclass(frozen=True)
class TelegramSettings:
    api_url: str = _s("https://api.telegram.org", "Bot API server (a self-hosted one, or a local one in tests).")
    mode: str = _s("polling", "How updates arrive: long polling, or webhook at /telegram/webhook.",
                   choices=("polling", "webhook"))
    webhook_url: str = _s("", "Public HTTPS address of /telegram/webhook, registered with setWebhook in webhook mode.")
    poll_timeout_s: int = _s(30, "Long-polling timeout of getUpdates, in seconds.")
    concurrency: int = _s(16, "Updates of different chats processed at once per worker (one chat's updates "
                              "always one at a time, in order); 1 processes every update in turn.")


@dataclass(frozen=True)
class SlackSettings:
    api_url: str = _s("https://slack.com/api/", "Slack Web API base address (another one for tests or GovSlack).")
    mode: str = _s("auto", "auto: Socket Mode when SLACK_APP_TOKEN is set, else the HTTP Events API at /slack/events.",
                   choices=("auto", "socket", "http"))
    agents_channel: str = _s("", "Channel id where escalations are posted for agents; empty disables posting.")
    response_channel: str = _s("", "Channel id for the response team's alerts (critical tickets, incidents); "
                               "empty: the agents channel.")
    agent_users: list[str] = _s([], "Slack user ids (U0123...) of the agents: only they can press Claim and Resolve; "
                                    "empty: anyone in the agents channel.")
    note_marker: str = _s("//", "An agent's thread message starting with this stays an internal note.")
    case_marker: str = _s("!case", "An agent's thread message '!case <case id> [words before it]' sends that solved "
                                   "case's answer to the customer.")
    transcript_lines: int = _s(8, "Conversation lines shown in the escalation post.")


@dataclass(frozen=True)
class OutboxSettings:
    poll_interval_s: float = _s(1.0, "How often the outbox looks for new messages and due retries.")
    max_attempts: int = _s(12, "Failed sends of one message before it is given up (logged, kept in the table).")
    backoff_s: float = _s(1.0, "First retry delay after a failed send; doubles each time.")
    max_backoff_s: float = _s(300.0, "Longest retry delay.")
    lookback: int = _s(200, "Message ids re-read behind the cursor (commits arriving out of order).")
    concurrency: int = _s(16, "Conversations (and tickets' threads) delivered to at once; one conversation's "
                              "messages always one at a time, in order.")


@dataclass(frozen=True)
class SlaSettings:
    policies: list[dict[str, Any]] = _s(
        [
            {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240},
            {"priority": "high", "first_response_minutes": 60, "resolution_minutes": 480},
            {"priority": "normal", "first_response_minutes": 240, "resolution_minutes": 1440},
            {"priority": "low", "first_response_minutes": 480, "resolution_minutes": 2880},
        ],
        "Targets per priority, in business minutes: first_response_minutes and resolution_minutes.",
    )
    teams: list[dict[str, Any]] = _s(
        [
            {"name": "support", "timezone": "UTC", "hours": "09:00-17:00",
             "days": ["mon", "tue", "wed", "thu", "fri"], "holidays": []},
            {"name": "response", "timezone": "UTC", "hours": "00:00-24:00",
             "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "holidays": []},
        ],
        "Business hours per team: name, timezone (IANA), hours HH:MM-HH:MM, days, holidays (YYYY-MM-DD).",
    )
    warn_share: float = _s(0.8, "Share of a target after which a warning alert is raised (0..1).")
    raise_priority_on_breach: bool = _s(True, "A breached target raises the ticket's priority one step.")
    on_call: bool = _s(False, "Someone is on call out of business hours for critical tickets (assignment."
                              "critical_priorities, critical_impacts): the customer is told a critical ticket "
                              "opened out of hours went to the on-call person; false: told the team's hours and "
                              "that it is first in the queue.")


@dataclass(frozen=True)
class AssignmentSettings:
    queues: list[dict[str, Any]] = _s(
        [], "Queues, first match wins: name, team, labels (empty: any), products (empty: any).")
    default_team: str = _s("support", "Team of tickets no queue matches.")
    auto_assign: bool = _s(False, "Assign new tickets round-robin among available agents of their team.")
    unassigned_alert_minutes: float = _s(30.0, "A ticket left unassigned this many minutes raises an alert; "
                                               "0 turns it off.")
    response_team: str = _s("response", "Team that gets critical tickets and problem incidents, with an alert.")
    critical_priorities: list[str] = _s(["urgent"], "Priorities that go straight to the response team.")
    critical_impacts: list[str] = _s(["wide"], "Impact scopes that go straight to the response team.")


@dataclass(frozen=True)
class ProblemSettings:
    fault_labels: list[str] = _s(["fault"], "Ticket labels grouped into problems by meaning.")
    similarity: float = _s(0.75, "Cosine similarity of subjects that makes two faults the same problem.")
    multilingual_similarity: float = _s(0.80, "The same, for subjects the multilingual encoder read (its cosines "
                                              "run higher: different faults of one device reach 0.75 there).")
    window_minutes: float = _s(240.0, "Only faults this recent are grouped; a problem this quiet takes no more.")
    incident_tickets: int = _s(3, "This many tickets of one problem within incident_minutes raise an "
                                  "incident alert (0 turns grouping off).")
    incident_minutes: float = _s(30.0, "Window of the incident count.")


@dataclass(frozen=True)
class JobSettings:
    enabled: bool = _s(True, "Run the periodic jobs (SLA checks, auto-close) inside aftercare run.")
    interval_s: float = _s(60.0, "Seconds between two runs of the periodic jobs.")
    retention_days: float = _s(30.0, "Failed console logins, seen Slack events, processed platform updates and "
                                     "message idempotency records older than this are pruned by the periodic job.")


@dataclass(frozen=True)
class Config:
    app: AppSettings = field(default_factory=AppSettings)
    web: WebSettings = field(default_factory=WebSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    assignment: AssignmentSettings = field(default_factory=AssignmentSettings)
    problems: ProblemSettings = field(default_factory=ProblemSettings)
    jobs: JobSettings = field(default_factory=JobSettings)

    @property
    def data_dir(self) -> Path:
        return Path(self.app.data_dir)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'aftercare.db'}"

    @property
    def labels(self) -> list[LabelSpec]:
        return parse_labels(self.classifier.labels)


def sections() -> dict[str, type]:
    """Section name -> dataclass, in declaration order."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)}


def settings() -> list[tuple[str, str, dataclasses.Field[Any]]]:
    """Every setting as (section, key, field)."""
    out = []
    for name, cls in sections().items():
        for f in dataclasses.fields(cls):
            out.append((name, f.name, f))
    return out


def _coerce(key: str, value: Any, typ: Any, f: dataclasses.Field[Any]) -> Any:
    origin = typing.get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    elif typ is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
    elif typ is str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected text, got {value!r}")
    elif origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
    elif origin in (typing.Union, types.UnionType):
        pass
    if typ in (int, float) and not 0 <= value < float("inf"):  # every count, duration and share is 0 or more
        raise ConfigError(f"{key}: expected 0 or more, got {value!r}")
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(str, choices))}")
    return value


def _apply(raw: dict[str, Any], source: str) -> Config:
    secs = sections()
    built: dict[str, Any] = {}
    for sec_name, values in raw.items():
        if sec_name not in secs:
            raise ConfigError(f"{sec_name}: unknown section in {source} (known: {', '.join(secs)})")
        if values is None:
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"{sec_name}: expected a mapping of settings in {source}")
        cls = secs[sec_name]
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            full = f"{sec_name}.{key}"
            if key not in fields:
                raise ConfigError(f"{full}: unknown setting in {source} (known: {', '.join(fields)})")
            kwargs[key] = _coerce(full, value, hints[key], fields[key])
        built[sec_name] = cls(**kwargs)
    return Config(**built)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for sec, values in over.items():
        if isinstance(values, dict) and isinstance(out.get(sec), dict):
            out[sec].update(values)
        else:
            out[sec] = values
    return out


# AFTERCARE_ variables that are not settings: the config file, the data dir, the encoder cache, the agent
# the desk commands act as, and the test suite's and benchmarks' own knobs
ENV_NAMES = ("AFTERCARE_CONFIG", "AFTERCARE_DATA_DIR", "AFTERCARE_CACHE_DIR", "AFTERCARE_AGENT")
ENV_PREFIXES = ("AFTERCARE_TEST_", "AFTERCARE_FUZZ_", "AFTERCARE_CRASH_", "AFTERCARE_BENCH_")


def _env_overrides(env: typing.Mapping[str, str]) -> dict[str, Any]:
    """The settings given as ``AFTERCARE_<SECTION>__<KEY>`` variables, by section. Raises ConfigError
    for an ``AFTERCARE_`` variable that is none of them nor of ``ENV_NAMES`` (``AFTERCARE_WEB=1``,
    ``AFTERCARE_WEB_PORT=8080``: a setting mistyped would otherwise be silently ignored)."""
    raw: dict[str, Any] = {}
    for name, text in env.items():
        if name == "AFTERCARE_DATA_DIR":
            raw.setdefault("app", {})["data_dir"] = text
            continue
        if not name.startswith("AFTERCARE_") or name in ENV_NAMES or name.startswith(ENV_PREFIXES):
            continue
        if "__" not in name:
            rest = name[len("AFTERCARE_"):].lower()
            sec = next((x for x in sections() if rest.startswith(x + "_")), "")
            hint = (f"; did you mean AFTERCARE_{sec.upper()}__{rest[len(sec) + 1:].upper()}?" if sec
                    else "; a setting is AFTERCARE_<SECTION>__<KEY> (two underscores), e.g. AFTERCARE_WEB__PORT=8080")
            raise ConfigError(f"{name}: not a setting{hint} (other AFTERCARE_ variables: {', '.join(ENV_NAMES)})")
        sec, _, key = name[len("AFTERCARE_"):].partition("__")
        try:
            value = yaml.safe_load(text) if text != "" else ""
        except yaml.YAMLError as e:
            raise ConfigError(f"{sec.lower()}.{key.lower()}: cannot parse {name}={text!r}") from e
        raw.setdefault(sec.lower(), {})[key.lower()] = value
    return raw


def load_config(path: str | Path | None = None, *, env: typing.Mapping[str, str] | None = None) -> Config:
    """Build the configuration from the file and the environment; raise ConfigError on any bad key."""
    env = os.environ if env is None else env
    if path is None:
        path = env.get("AFTERCARE_CONFIG") or ("config.yaml" if Path("config.yaml").exists() else None)
    raw: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} does not exist")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise ConfigError(f"{p}: not valid YAML: {e}") from e
        except UnicodeDecodeError as e:
            raise ConfigError(f"{p}: not UTF-8 text (byte {e.start})") from e
        except OSError as e:  # a directory, no permission
            raise ConfigError(f"config file {p}: {e.strerror or e}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{p}: the top level must be a mapping of sections")
        raw = loaded or {}
        source = str(p)
    raw = _merge(raw, _env_overrides(env))
    config = _apply(raw, source)
    try:
        config.labels  # noqa: B018 - validates the label table
    except LabelsError as e:
        raise ConfigError(f"classifier.labels: {e}") from e
    langs = config.classifier.languages
    known = sorted(LANGUAGE_NAMES)
    if not isinstance(langs, list) or not all(isinstance(x, str) and x in LANGUAGE_NAMES for x in langs):
        raise ConfigError(f"classifier.languages: expected a list of two-letter codes among {', '.join(known)}, "
                          f"got {langs!r}")
    if not 0 <= config.retrieval.reply_min_vote <= 1:
        raise ConfigError("retrieval.reply_min_vote: must be in 0..1")
    if not 0 <= config.retrieval.human_min_vote <= 1:
        raise ConfigError("retrieval.human_min_vote: must be in 0..1")
    for key in ("case_head_vote", "case_head_prob", "case_head_clarify"):
        if not 0 <= getattr(config.retrieval, key) <= 1:
            raise ConfigError(f"retrieval.{key}: must be in 0..1")
    if not 0 < config.retrieval.target_precision <= 1:
        raise ConfigError("retrieval.target_precision: must be in (0, 1]")
    for name in ("vote_threshold", "clarify_threshold"):
        vt = getattr(config.retrieval, name)
        if vt != "auto":
            try:
                ok = 0 <= float(vt) <= 1
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ConfigError(f"retrieval.{name}: expected 'auto' or a number in 0..1, got {vt!r}")
    if not 0 <= config.retrieval.unseen_share <= 1:
        raise ConfigError("retrieval.unseen_share: must be in 0..1")
    if not 0 < config.retrieval.scope_keep <= 1:
        raise ConfigError("retrieval.scope_keep: must be in (0, 1]")
    if not 0 < config.retrieval.clarify_precision <= 1:
        raise ConfigError("retrieval.clarify_precision: must be in (0, 1]")
    if not 0 <= config.retrieval.clarify_min_share <= 1:
        raise ConfigError("retrieval.clarify_min_share: must be in 0..1")
    if config.app.max_message_chars < 1:
        raise ConfigError("app.max_message_chars: must be at least 1")
    if not 0 <= config.web.port <= 65535:
        raise ConfigError(f"web.port: expected a port number in 0..65535, got {config.web.port}")
    if config.database.url:
        _check_database_url(config.database.url)
    build_desk_settings(config)  # SLA calendars, policies and queues: a bad one stops the start
    return config


def _check_database_url(url: str) -> None:
    """ConfigError when ``database.url`` is no SQLAlchemy URL of a dialect this install has (the URL is not
    repeated: it may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        dialect = make_url(url).get_dialect()
        getattr(dialect, "import_dbapi", getattr(dialect, "dbapi", lambda: None))()  # "mysql://": no driver here
    except ImportError as e:
        raise ConfigError(f"database.url: no database driver for {url.split(':', 1)[0]!r} installed "
                          "(postgresql+psycopg and sqlite are supported)") from e
    except NoSuchModuleError as e:  # before ArgumentError, its parent
        raise ConfigError(f"database.url: no database driver for {url.split(':', 1)[0]!r} "
                          "(postgresql+psycopg and sqlite are supported)") from e
    except (ArgumentError, ValueError) as e:
        raise ConfigError("database.url: not a database URL (expected e.g. "
                          "postgresql+psycopg://user@host:5432/db or sqlite:///path)") from e


def build_desk_settings(config: Config) -> DeskSettings:
    """Raise ConfigError naming the section when a policy, calendar or queue cannot be used."""
    a, p = config.assignment, config.problems
    try:
        book = SlaBook.parse(
            policies=config.sla.policies,
            teams=config.sla.teams,
            default_team="",
            warn_share=config.sla.warn_share,
        )
    except SlaConfigError as e:
        raise ConfigError(f"sla: {e}") from e
    try:
        queues = Queue.parse_all(a.queues)
    except (AttributeError, TypeError) as e:
        raise ConfigError(
            "assignment.queues: each queue is a mapping with name, team, labels, products"
        ) from e
    for q in queues:
        if not q.name:
            raise ConfigError("assignment.queues: every queue needs a name")
    if a.default_team not in book.calendars:
        book = SlaBook(
            policies=book.policies, calendars=book.calendars, default_team="", warn_share=book.warn_share
        )
    else:
        book = SlaBook(
            policies=book.policies,
            calendars=book.calendars,
            default_team=a.default_team,
            warn_share=book.warn_share,
        )
    if not 0 < p.similarity <= 1:
        raise ConfigError("problems.similarity: must be in (0, 1]")
    if not 0 < p.multilingual_similarity <= 1:
        raise ConfigError("problems.multilingual_similarity: must be in (0, 1]")
    by_model = ((config.embedding.multilingual.strip(), p.multilingual_similarity),) \
        if config.embedding.multilingual.strip() else ()
    return DeskSettings(
        reopen_window_hours=config.tickets.reopen_window_hours,
        auto_close_hours=config.tickets.auto_close_hours,
        low_rating_alert=config.tickets.low_rating_alert,
        sla=book,
        raise_priority_on_breach=config.sla.raise_priority_on_breach,
        on_call=config.sla.on_call,
        queues=queues,
        default_team=a.default_team,
        auto_assign=a.auto_assign,
        unassigned_alert_minutes=a.unassigned_alert_minutes,
        response_team=a.response_team,
        critical_priorities=tuple(a.critical_priorities),
        critical_impacts=tuple(a.critical_impacts),
        problems=DeskProblemSettings(
            labels=tuple(p.fault_labels),
            similarity=p.similarity,
            similarity_by_model=by_model,
            window_minutes=p.window_minutes,
            incident_tickets=p.incident_tickets,
            incident_minutes=p.incident_minutes,
        ),
    )
