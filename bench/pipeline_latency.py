"""Per-message latency of the Aftercare pipeline with the real embedding model.

What is measured, in one run and on the same messages:

* ``encoder`` - the bare encoder that reads the message, ``ac.stack_for(text).embedder.encode([text])`` (the
  default configuration is a language-routed pair: all-MiniLM-L6-v2 for English, USE multilingual v3 for
  Korean; ``encoders`` gives each one's p50 on the messages it read): the floor of any decision;
* ``decide``  - ``ac.pipeline.decide(text)``: encode + classify + retrieve, no database writes;
* ``handle``  - ``ac.pipeline.handle(IncomingMessage(...))``: the whole pipeline, which records the
  conversation and its messages and opens tickets in the (temporary) database.

For every message the three calls run back to back, their order rotated from one message to the
next so that none of them always runs first (cold caches) or last. Each customer id is used once,
so ``handle`` never meets an open ticket and always goes through the decision. Reported per call:
p50, p90, p99 and mean in milliseconds, messages per second (1000 / mean), SQL statements per call
(counted on the engine), and the ratios decide_p50 / encoder_p50 and handle_p50 / encoder_p50.
Also reported: batch-encoding throughput (``--batch`` texts in one ``encode`` call, median of three),
the cost of one ``KnowledgeBase.revision()`` and ``KnowledgeBase.index()`` call, the index size and
the peak resident set size of the process and the resident set size of a fresh serving worker
started on the prepared data directory (the figure a deployment sees per worker).

The app is built on a fresh temporary data directory (``AFTERCARE_DATA_DIR``) with the default
configuration, the demo knowledge base and the shipped classifier examples. Messages default to the
demo KB's phrasings (kb/demo/cases.csv, column ``question``) plus the classifier examples
(classifier/data/examples.csv, column ``text``), shuffled with a fixed seed and repeated as needed.

Run it with ``make bench`` (or ``HF_HUB_OFFLINE=1 .venv/bin/python bench/pipeline_latency.py``);
``--json`` prints one JSON object instead of the table, ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bot.app import Aftercare

REPO = Path(__file__).resolve().parent.parent
DEMO_CASES = REPO / "kb" / "demo" / "cases.csv"
EXAMPLES = REPO / "classifier" / "data" / "examples.csv"
MODES = ("encoder", "decide", "handle")


@dataclass
class Series:
    """Wall-clock times (ns) and SQL statements of one kind of call."""

    name: str
    times_ns: list[int] = field(default_factory=list)
    statements: int = 0

    def summary(self) -> dict[str, float]:
        ms = np.asarray(self.times_ns, dtype=np.float64) / 1e6
        mean = float(ms.mean())
        return {
            "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p90_ms": round(float(np.percentile(ms, 90)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "mean_ms": round(mean, 3),
            "msgs_per_s": round(1000.0 / mean, 1),
            "sql_per_call": round(self.statements / len(ms), 2),
        }


class StatementCounter:
    """Counts the SQL statements an engine sends (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any, **_kwargs: Any) -> None:
        self.count += 1


def read_column(path: Path, column: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise SystemExit(f"{path}: no column {column!r}")
        return [row[column].strip() for row in reader if (row.get(column) or "").strip()]


def message_pool(messages: Path | None, *, seed: int) -> list[str]:
    if messages is not None:
        texts = read_column(messages, "text")
    else:
        texts = read_column(DEMO_CASES, "question") + read_column(EXAMPLES, "text")
    if not texts:
        raise SystemExit("no messages to send")
    random.Random(seed).shuffle(texts)
    return texts


def take(pool: Sequence[str], start: int, n: int) -> list[str]:
    """``n`` texts from ``pool`` starting at ``start``, wrapping around."""
    return [pool[(start + i) % len(pool)] for i in range(n)]


def time_calls(fn: Callable[[], object], repeat: int) -> list[int]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        out.append(time.perf_counter_ns() - t0)
    return out


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def build_app(data_dir: Path) -> tuple[Aftercare, float]:
    os.environ["AFTERCARE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from bot.app import Aftercare
    from bot.config import load_config

    t0 = time.perf_counter()
    ac = Aftercare(load_config())
    ac.migrate()
    ac.load_demo_if_empty()
    ac.warm()
    return ac, time.perf_counter() - t0


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    from sqlalchemy import event

    from bot.messages import IncomingMessage

    load_before = os.getloadavg()[0]
    ac, setup_s = build_app(data_dir)
    try:
        pool = message_pool(args.messages, seed=args.seed)
        warmup = take(pool, 0, args.warmup)
        measured = take(pool, args.warmup, args.n)
        counter = StatementCounter()
        event.listen(ac.engine, "before_cursor_execute", counter)

        by_encoder: dict[str, list[int]] = {}

        def encode_alone(text: str) -> object:
            emb = ac.stack_for(text).embedder
            t0 = time.perf_counter_ns()
            out = emb.encode([text])
            by_encoder.setdefault(emb.name, []).append(time.perf_counter_ns() - t0)
            return out

        calls: dict[str, Callable[[str, str], object]] = {
            "encoder": lambda _cust, text: encode_alone(text),
            "decide": lambda _cust, text: ac.pipeline.decide(text),
            "handle": lambda cust, text: ac.pipeline.handle(IncomingMessage(channel="bench", customer=cust,
                                                                             text=text)),
        }
        for i, text in enumerate(warmup):
            for mode in MODES:
                calls[mode](f"w{i}", text)
        by_encoder.clear()

        series = {mode: Series(mode) for mode in MODES}
        actions: Counter[str] = Counter()
        for i, text in enumerate(measured):
            for j in range(len(MODES)):
                mode = MODES[(i + j) % len(MODES)]
                before = counter.count
                t0 = time.perf_counter_ns()
                result = calls[mode](f"c{i}", text)
                series[mode].times_ns.append(time.perf_counter_ns() - t0)
                series[mode].statements += counter.count - before
                if mode == "handle":
                    actions[str(getattr(result, "action", "?"))] += 1

        encoders = {name: {"messages": len(ns),
                           "p50_ms": round(float(np.percentile(np.asarray(ns) / 1e6, 50)), 3)}
                    for name, ns in by_encoder.items()}
        batch_texts = take(pool, 0, args.batch)
        ac.embedder.encode(batch_texts)  # the first large batch pays for allocations
        batch_ns = sorted(time_calls(lambda: ac.embedder.encode(batch_texts), 3))[1]

        before = counter.count
        revision_ns = time_calls(ac.kb.revision, 200)
        index_ns = time_calls(ac.kb.index, 200)
        revision_sql = (counter.count - before) / 400

        idx = ac.kb.index()
        stats = {mode: s.summary() for mode, s in series.items()}
        enc_p50 = stats["encoder"]["p50_ms"]
        rss_serving = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before torch is loaded below
        worker = worker_rss(data_dir, measured[:50])
        serving = {"texts_per_s": round(len(batch_texts) / (batch_ns / 1e9), 1), "p50_ms": enc_p50}
        # the torch comparison on the texts the main encoder serves (a Korean message goes to the multilingual one)
        own = [t for t in pool if ac.stack_for(t) is ac]
        torch_cmp = compare_torch(ac, take(own, 0, args.batch), take(own, args.warmup, min(len(measured), 100)),
                                  serving) if args.torch and encoder_runtime(ac) != "torch" and own else None
        return {
            "messages": len(measured),
            "warmup": len(warmup),
            "distinct_messages": len(set(measured)),
            "model": ac.embedder.name,
            "encoders": encoders,
            "runtime": encoder_runtime(ac),
            "database": ac.engine.dialect.name,
            "setup_s": round(setup_s, 2),
            "calls": stats,
            "ratio_decide_encoder_p50": round(stats["decide"]["p50_ms"] / enc_p50, 2),
            "ratio_handle_encoder_p50": round(stats["handle"]["p50_ms"] / enc_p50, 2),
            "handle_actions": dict(sorted(actions.items())),
            "batch": {"texts": len(batch_texts), "seconds": round(batch_ns / 1e9, 3),
                      "texts_per_s": round(len(batch_texts) / (batch_ns / 1e9), 1)},
            "torch": torch_cmp,
            "import_s": import_seconds() if args.torch else None,
            "kb_revision_call_ms": round(float(np.median(revision_ns)) / 1e6, 3),
            "kb_index_call_ms": round(float(np.median(index_ns)) / 1e6, 3),
            "kb_revision_sql_per_call": revision_sql,
            "index": {"vectors": len(idx), "dim": idx.dim, "cases": ac.kb.count(),
                      "bytes_on_disk": dir_bytes(data_dir / "index")},
            "rss_serving_mib": round(rss_serving, 1),
            "worker": worker,
            "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "cpus": os.cpu_count(),
            "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        ac.close()


WORKER_RSS = """
import sys
from bot.app import Aftercare
from bot.config import load_config
from bot.messages import IncomingMessage
ac = Aftercare(load_config())
ac.migrate()
ac.load_demo_if_empty()
ac.warm()
for i, text in enumerate(sys.argv[1:]):
    ac.pipeline.handle(IncomingMessage(channel="bench", customer=f"rss{i}", text=text))
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "sklearn", "scipy") if m in sys.modules)
print(int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024, ",".join(heavy) or "-")
"""


def worker_rss(data_dir: Path, texts: list[str]) -> dict[str, Any]:
    """RSS (MiB) of a fresh serving worker on the prepared ``data_dir``: what ``aftercare run`` loads
    (app, saved index, saved classifier, encoder), after it handled ``texts``; its peak (VmHWM); and the
    heavy libraries it imported (none expected: torch, transformers, sentence-transformers, sklearn, scipy)."""
    import subprocess

    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-c", WORKER_RSS, *texts], env=env, cwd=REPO, capture_output=True,
                          text=True, check=True)
    rss, peak, heavy = done.stdout.split()[-3:]
    return {"rss_mib": round(float(rss), 1), "peak_mib": round(float(peak), 1), "heavy_imports": heavy}


def encoder_runtime(ac: Aftercare) -> str:
    """'onnx', 'onnx-int8' or 'torch': what serves the encoder of ``ac``."""
    from kb.onnx_embedder import OnnxEmbedder

    emb = ac.embedder
    if isinstance(emb, OnnxEmbedder):
        return "onnx-int8" if emb.quantized else "onnx"
    return "torch"


def compare_torch(ac: Aftercare, batch_texts: list[str], single: list[str], serving: dict[str, float]
                  ) -> dict[str, float]:
    """The torch (sentence-transformers) encoder on the same texts: single-message p50, batched texts/s,
    the serving encoder's cosine to it (min, 1st percentile and mean over ``batch_texts``), and the ratios.
    Both run at their default thread counts (one per core) and batch size (``embedding.batch_size``); the
    serving encoder's throughput is measured again here on these texts."""
    from kb.embedder import SentenceTransformerEmbedder

    ref = SentenceTransformerEmbedder(ac.embedder.name, batch_size=ac.config.embedding.batch_size)
    ref.encode(batch_texts)
    batch_ns = sorted(time_calls(lambda: ref.encode(batch_texts), 3))[1]
    for t in single[:10]:
        ref.encode([t])
    times = [time_calls(lambda t=t: ref.encode([t]), 1)[0] for t in single]  # type: ignore[misc]
    cos = (ref.encode(batch_texts) * ac.embedder.encode(batch_texts)).sum(axis=1)
    tps = len(batch_texts) / (batch_ns / 1e9)
    own_ns = sorted(time_calls(lambda: ac.embedder.encode(batch_texts), 3))[1]
    serving = {**serving, "texts_per_s": len(batch_texts) / (own_ns / 1e9)}
    p50 = float(np.percentile(np.asarray(times) / 1e6, 50))
    return {"texts_per_s": round(tps, 1), "p50_ms": round(p50, 3),
            "cosine_min": round(float(cos.min()), 4), "cosine_p1": round(float(np.percentile(cos, 1)), 4),
            "cosine_mean": round(float(cos.mean()), 4), "serving_texts_per_s": round(serving["texts_per_s"], 1),
            "ratio_throughput": round(serving["texts_per_s"] / tps, 2),
            "ratio_p50": round(p50 / serving["p50_ms"], 2)}


def import_seconds() -> dict[str, float]:
    """Seconds to import the serving encoder's libraries and the torch encoder's, each in a fresh interpreter
    (best of two, interpreter start subtracted)."""
    import subprocess

    def best(code: str) -> float:
        out = []
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            out.append(time.perf_counter() - t0)
        return min(out)

    base = best("pass")
    return {"onnx": round(best("import onnxruntime, tokenizers") - base, 2),
            "torch": round(best("import sentence_transformers") - base, 2)}


def print_table(r: dict[str, Any]) -> None:
    print(f"Aftercare pipeline latency: {r['messages']} messages ({r['distinct_messages']} distinct) "
          f"after {r['warmup']} warm-up; model {r['model']} ({r['runtime']}), {r['database']}; "
          f"setup {r['setup_s']} s")
    head = ("call", "p50 ms", "p90 ms", "p99 ms", "mean ms", "msg/s")
    print(f"{head[0]:<8} " + " ".join(f"{h:>8}" for h in head[1:]) + f" {'SQL/call':>9}")
    for mode, s in r["calls"].items():
        print(f"{mode:<8} {s['p50_ms']:>8.2f} {s['p90_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['mean_ms']:>8.2f} "
              f"{s['msgs_per_s']:>8.1f} {s['sql_per_call']:>9.2f}")
    print("encoder p50 by model: " + ", ".join(f"{k} {v['p50_ms']:.2f} ms ({v['messages']} messages)"
                                               for k, v in r["encoders"].items()))
    print(f"ratio p50: decide/encoder {r['ratio_decide_encoder_p50']:.2f}, "
          f"handle/encoder {r['ratio_handle_encoder_p50']:.2f}")
    print("handle outcomes: " + ", ".join(f"{k} {v}" for k, v in r["handle_actions"].items()))
    b = r["batch"]
    print(f"batch encoding: {b['texts']} texts in {b['seconds']:.3f} s = {b['texts_per_s']:.1f} texts/s")
    t = r["torch"]
    if t:
        print(f"torch encoder: {t['texts_per_s']:.1f} texts/s batched (serving {t['serving_texts_per_s']:.1f} on the "
              f"same texts), p50 {t['p50_ms']:.2f} ms; serving/torch throughput {t['ratio_throughput']:.2f}x, "
              f"p50 {t['ratio_p50']:.2f}x; cosine min {t['cosine_min']:.4f} p1 {t['cosine_p1']:.4f} "
              f"mean {t['cosine_mean']:.4f}")
    if r["import_s"]:
        print(f"import: onnxruntime+tokenizers {r['import_s']['onnx']:.2f} s, "
              f"sentence-transformers (torch) {r['import_s']['torch']:.2f} s")
    print(f"KnowledgeBase.revision(): {r['kb_revision_call_ms']:.3f} ms/call "
          f"({r['kb_revision_sql_per_call']:.1f} SQL); "
          f"KnowledgeBase.index(): {r['kb_index_call_ms']:.3f} ms/call")
    i = r["index"]
    print(f"index: {i['vectors']} vectors x {i['dim']} dims, {i['cases']} published cases, "
          f"{i['bytes_on_disk'] / 1024:.0f} KiB on disk")
    w = r["worker"]
    print(f"RSS of a serving worker started on this data dir, after 50 messages: {w['rss_mib']:.1f} MiB (peak "
          f"{w['peak_mib']:.1f} MiB; torch, transformers, sentence-transformers, sklearn, scipy loaded: "
          f"{w['heavy_imports']})")
    print(f"RSS of this process, which built the data dir: {r['rss_serving_mib']:.1f} MiB "
          f"(peak {r['rss_peak_mib']:.1f} MiB with the "
          f"torch comparison); 1-min load average {r['load_1min'][0]} at start, "
          f"{r['load_1min'][1]} at end ({r['cpus']} CPUs): other processes make the figures noisy")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=300, help="measured messages (default 300)")
    p.add_argument("--warmup", type=int, default=20, help="warm-up messages, not measured (default 20)")
    p.add_argument("--messages", type=Path, default=None,
                   help="CSV with a 'text' column (default: demo KB phrasings + classifier examples)")
    p.add_argument("--batch", type=int, default=256, help="texts in the batch-encoding call (default 256)")
    p.add_argument("--seed", type=int, default=0, help="shuffle seed of the message set (default 0)")
    p.add_argument("--no-torch", dest="torch", action="store_false",
                   help="skip the comparison with the torch encoder (and the import times)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.batch < 1:
        p.error("--n and --batch must be positive, --warmup not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="aftercare-bench-") as tmp:
        result = run(args, Path(tmp))
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
