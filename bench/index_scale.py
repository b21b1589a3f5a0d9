"""A million phrasings: approximate search (faiss IVF, as the knowledge base builds it) against exact search.

Real customer phrasings (BANKING77 train, CLINC150 train+val, the Bitext sample, the demo KB; about
33,000 distinct texts) are encoded once with the serving encoder and cached. The million-phrasing base
is those vectors plus paraphrase-perturbed copies of them: each copy is ``normalize(v + noise)`` with
Gaussian noise scaled so that a copy sits at cosine ``--cosine`` (default 0.9) to its original, about as
far as a reworded question sits from the original wording with all-MiniLM-L6-v2. Queries are fresh
perturbed copies of random real phrasings. Ground truth is the exact inner-product search (faiss
``IndexFlatIP``) over the same base.

Printed: the build time of the IVF index (``PhrasingIndex.build``: k-means on a sample, then adding every
vector), its save (``write_index``) and load times, and for each ``nprobe`` the single-query search
p50/p99 (one FAISS thread, one query at a time, the serving load) and recall@10 against exact search;
exact single-query p50 on the same base for comparison.

``--cold-start`` instead measures the start of ``aftercare run`` on a knowledge base of ``--cases``
cases (default 10,000, phrasings from the same real texts): the seconds from launching the process to
the first answered ``POST /api/messages``, on the second start (the index and classifier saved by the
first start are loaded, not rebuilt).

Run with ``nice -n 10 python bench/index_scale.py`` (a few minutes; about 6 GB of memory at 1M).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets"


def real_texts() -> list[str]:
    """Distinct customer phrasings from the shared datasets and the demo KB."""
    texts: list[str] = []
    with (DATA / "banking77" / "train.csv").open(newline="", encoding="utf-8") as fh:
        texts += [r["text"] for r in csv.DictReader(fh)]
    clinc = json.loads((DATA / "clinc150" / "data_full_train_val.json").read_text(encoding="utf-8"))
    for part in ("train", "val", "oos_train", "oos_val"):
        texts += [t for t, _ in clinc.get(part, [])]
    with (DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv").open(
            newline="", encoding="utf-8") as fh:
        texts += [r["instruction"] for r in csv.DictReader(fh)]
    with (REPO / "kb" / "demo" / "cases.csv").open(newline="", encoding="utf-8") as fh:
        texts += [r["question"] for r in csv.DictReader(fh)]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def encoded(texts: list[str]) -> np.ndarray:
    """The serving encoder's vectors of ``texts``, cached beside the encoder export."""
    from kb.onnx_embedder import OnnxEmbedder, default_cache_dir

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = default_cache_dir() / "bench" / f"phrasings-{key}.npy"
    if path.exists():
        return np.load(path)
    emb = OnnxEmbedder("all-MiniLM-L6-v2", batch_size=128)
    t0 = time.perf_counter()
    vecs = emb.encode(texts)
    print(f"encoded {len(texts)} real phrasings in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def perturbed(base: np.ndarray, rows: np.ndarray, cosine: float, rng: np.random.Generator) -> np.ndarray:
    """Unit copies of ``base[rows]`` at about ``cosine`` to their originals (Gaussian noise, renormalised)."""
    sigma = float(np.sqrt(1.0 / cosine**2 - 1.0))
    out = base[rows] + rng.standard_normal((len(rows), base.shape[1]), dtype=np.float32) * (
        sigma / np.sqrt(base.shape[1]))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def million(args: argparse.Namespace) -> dict[str, object]:
    import faiss

    from kb.index import AnnSettings, PhrasingIndex

    texts = real_texts()
    if args.real and args.real < len(texts):
        texts = [texts[i] for i in sorted(np.random.default_rng(args.seed).choice(len(texts), args.real,
                                                                                  replace=False))]
    real = encoded(texts)
    rng = np.random.default_rng(args.seed)
    n = args.n
    rows = np.arange(n) % len(real)
    base = real[rows].copy()
    copies = np.arange(n) >= len(real)
    chunk = 100_000
    for start in range(0, n, chunk):  # in slices: the noise of a million rows at once is 1.5 GB more
        sl = slice(start, min(n, start + chunk))
        mask = copies[sl]
        if mask.any():
            part = base[sl]
            part[mask] = perturbed(real, rows[sl][mask], args.cosine, rng)
    queries = perturbed(real, rng.choice(len(real), args.queries, replace=False), args.cosine, rng)

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # ground truth and the build may use every core
    exact = faiss.IndexFlatIP(base.shape[1])
    exact.add(base)
    t0 = time.perf_counter()
    _, truth = exact.search(queries, 10)
    truth_s = time.perf_counter() - t0

    ids = list(range(n))
    t0 = time.perf_counter()
    idx = PhrasingIndex.build("bench", base.shape[1], ids, ["c"] * n, base,
                              ann=AnnSettings(min_phrasings=1, nlist=args.nlist))
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="aftercare-ivf-") as tmp:
        t0 = time.perf_counter()
        idx.save(Path(tmp))
        save_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        t0 = time.perf_counter()
        idx = PhrasingIndex.load(Path(tmp), model="bench", dim=base.shape[1])
        load_s = time.perf_counter() - t0

    faiss.omp_set_num_threads(1)  # the serving setting (kb.index)
    sweep = []
    for nprobe in args.nprobe:
        idx.set_nprobe(nprobe)
        times, hits = [], 0
        for i in range(len(queries)):
            t0 = time.perf_counter_ns()
            _, found = idx.search(queries[i : i + 1], 10)
            times.append(time.perf_counter_ns() - t0)
            hits += len(set(found[0].tolist()) & set(truth[i].tolist()))
        ms = np.asarray(times) / 1e6
        sweep.append({"nprobe": nprobe, "p50_ms": round(float(np.percentile(ms, 50)), 3),
                      "p99_ms": round(float(np.percentile(ms, 99)), 3),
                      "recall_at_10": round(hits / (10 * len(queries)), 4)})
    flat_ms = []
    for i in range(min(20, len(queries))):
        t0 = time.perf_counter_ns()
        exact.search(queries[i : i + 1], 10)
        flat_ms.append((time.perf_counter_ns() - t0) / 1e6)
    return {"phrasings": n, "real_phrasings": len(real), "queries": len(queries), "cosine": args.cosine,
            "nlist": faiss.extract_index_ivf(idx._index).nlist, "build_s": round(build_s, 1),
            "save_s": round(save_s, 2), "load_s": round(load_s, 2), "bytes_on_disk": size,
            "exact_batch_search_s": round(truth_s, 1),
            "exact_single_p50_ms": round(float(np.percentile(flat_ms, 50)), 2), "ivf": sweep}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object], headers: dict[str, str] | None = None) -> dict[str, object]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=120) as r:
        return dict(json.loads(r.read()))


def _start_and_ask(data: Path, question: str) -> tuple[float, dict[str, object], int]:
    """Seconds from launching ``aftercare run`` to the first answered message (a chat key from ``POST
    /api/session`` for a site-signed customer, then ``POST /api/messages``), the reply and its RSS (KiB).
    Raises SystemExit when the server exits, answers with an HTTP error or is not up within 300 s."""
    from bot.adapters.web_access import identity_hash

    port = _free_port()
    secret = "cold-start-bench"
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(REPO), "WEB_IDENTITY_SECRET": secret}
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN"):
        env.pop(name, None)
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit("aftercare run exited")
            if time.perf_counter() - t0 > 300:
                raise SystemExit("aftercare run did not answer within 300 s")
            try:
                key = _post(f"{base}/api/session", {"user_id": "cold", "user_hash": identity_hash(secret, "cold")})
                reply = _post(f"{base}/api/messages", {"customer": "cold", "text": question},
                              {"Authorization": f"Bearer {key['key']}"})
                break
            except urllib.error.HTTPError as e:
                raise SystemExit(f"aftercare run answered HTTP {e.code}: {e.read()[:200]!r}") from e
            except OSError:  # not listening yet
                time.sleep(0.02)
        seconds = time.perf_counter() - t0
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS"))
        return seconds, reply, rss
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def cold_start(args: argparse.Namespace) -> dict[str, object]:
    texts = real_texts()
    per_case = max(1, min(3, len(texts) // args.cases))
    rows = []
    for c in range(args.cases):
        for j in range(per_case):
            k = (c * per_case + j) % len(texts)
            rows.append({"case_id": f"case-{c:05d}", "question": texts[k], "answer": f"Answer {c}."})
    with tempfile.TemporaryDirectory(prefix="aftercare-cold-") as tmp:
        data = Path(tmp) / "data"
        cases = Path(tmp) / "cases.csv"
        with cases.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["case_id", "question", "answer"])
            w.writeheader()
            w.writerows(rows)
        env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "kb", "import", str(cases)], cwd=REPO, env=env,
                       check=True, capture_output=True)
        import_s = time.perf_counter() - t0
        first, _, _ = _start_and_ask(data, rows[0]["question"])
        second, reply, rss = _start_and_ask(data, rows[0]["question"])
    return {"cases": args.cases, "phrasings": len(rows), "import_s": round(import_s, 1),
            "first_start_to_answer_s": round(first, 2), "cold_start_to_answer_s": round(second, 2),
            "action": reply.get("action"), "rss_mib": round(rss / 1024, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=1_000_000, help="phrasings in the base (default 1,000,000)")
    p.add_argument("--queries", type=int, default=1000, help="queries (default 1000)")
    p.add_argument("--cosine", type=float, default=0.9, help="cosine of a perturbed copy to its original")
    p.add_argument("--nlist", type=int, default=0, help="IVF lists (default 4 x sqrt(n))")
    p.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64], help="lists searched, swept")
    p.add_argument("--real", type=int, default=0,
                   help="encode only this many real phrasings, sampled (default: all, about 33,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cold-start", action="store_true", help="measure aftercare run's start instead")
    p.add_argument("--cases", type=int, default=10_000, help="cases for --cold-start (default 10,000)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    result = cold_start(args) if args.cold_start else million(args)
    if args.json:
        print(json.dumps(result))
        return 0
    if args.cold_start:
        r = result
        print(f"cold start, {r['cases']} cases ({r['phrasings']} phrasings; import {r['import_s']} s): first start "
              f"to first answer {r['first_start_to_answer_s']} s (builds the index), second start "
              f"{r['cold_start_to_answer_s']} s (loads it; answer: {r['action']}); RSS {r['rss_mib']} MiB")
        return 0
    r = result
    print(f"{r['phrasings']:,} phrasings ({r['real_phrasings']:,} real, the rest perturbed copies at cosine "
          f"{r['cosine']}), {r['queries']} queries; IVF nlist {r['nlist']}: build {r['build_s']} s, "
          f"save {r['save_s']} s, load {r['load_s']} s, {r['bytes_on_disk'] / 2**20:.0f} MiB on disk")
    print(f"exact (flat) search: {r['exact_single_p50_ms']} ms p50 per query")
    for s in r["ivf"]:  # type: ignore[attr-defined]
        print(f"IVF nprobe {s['nprobe']:>3}: p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, "
              f"recall@10 {s['recall_at_10']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
