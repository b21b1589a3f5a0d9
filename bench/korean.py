"""Korean routing figures per encoder design, through the ``aftercare`` CLI (``kb import`` then ``eval --json``
in a fresh data directory per design and knowledge base).

Designs (``--designs``, comma-separated):

- ``pair``: the default configuration, a language-routed pair: all-MiniLM-L6-v2 (onnxruntime) for English,
  ``embedding.multilingual`` (USE multilingual v3) with its own index and classifier for Korean and other
  languages;
- ``use``: USE multilingual v3 for every message (``embedding.model: use-multilingual-v3``);
- ``concat``: one combined vector, MiniLM and USE each unit-length, concatenated (Casanueva et al. 2020,
  "Efficient Intent Detection with Dual Sentence Encoders");
- ``minilm``: all-MiniLM-L6-v2 alone (``embedding.multilingual`` empty): Korean goes to a person;
- ``pair-e5``: the pair with multilingual-e5-small-q4 as its multilingual half;
- ``pair-vote``: the pair without the case head (the multilingual half's neighbours' vote alone);
- ``pair-single``: the pair without its cross-lingual second encoder (``embedding.crosslingual: ""``): a
  Korean message against an English-only KB is read by USE alone (the pair before it had one).

Knowledge bases (``--kbs``): ``demo`` (kb/demo/cases.csv, English and Korean phrasings), ``en`` (the same
cases with their English phrasings only and no Korean answers: "Korean messages against an English-only KB")
and ``ko`` (their Korean phrasings only, answered in Korean: with ``--files en-phrasings``, the demo's English
phrasings that KB lacks as English messages, "English messages against a Korean-only KB").

Test files (``--files``): ``dev`` (kb/demo/dev_ko.csv, 93 Korean messages written for tuning), ``test``
(kb/demo/test_ko.csv, 55 held-out Korean messages), ``en`` (kb/demo/test.csv, 55 English messages),
``dev-informal`` (kb/demo/dev_ko_informal.csv, 86 informal Korean chat messages - shorthand, slang, dropped
spaces and endings - written for tuning) and ``test-informal`` (kb/demo/test_ko_informal.csv, 43 more,
held out), ``dev-registers`` (kb/demo/dev_ko_registers.csv, 87 Korean messages in the registers customers write:
bare keywords, casual banmal, formal hapsyo-che, loanwords; faults and questions no case covers among them) and
``dev-faults`` (kb/demo/dev_ko_faults.csv, 24 casual Korean faults that name a case's topic), both written for
tuning. ``--predictions DIR`` keeps each run's per-message decisions there.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/korean.py --designs pair,use --kbs demo,en --files dev
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DESIGNS = {
    "pair": {},
    "use": {"AFTERCARE_EMBEDDING__MODEL": "use-multilingual-v3"},
    "concat": {"AFTERCARE_EMBEDDING__MODEL": "all-MiniLM-L6-v2+use-multilingual-v3"},
    "minilm": {"AFTERCARE_EMBEDDING__MULTILINGUAL": ""},
    "pair-e5": {"AFTERCARE_EMBEDDING__MULTILINGUAL": "multilingual-e5-small-q4"},
    "pair-vote": {"AFTERCARE_EMBEDDING__MULTILINGUAL_HEAD": "false"},
    "pair-single": {"AFTERCARE_EMBEDDING__CROSSLINGUAL": ""},
}
FILES = {"dev": REPO / "kb" / "demo" / "dev_ko.csv", "test": REPO / "kb" / "demo" / "test_ko.csv",
         "en": REPO / "kb" / "demo" / "test.csv",
         "dev-informal": REPO / "kb" / "demo" / "dev_ko_informal.csv",
         "test-informal": REPO / "kb" / "demo" / "test_ko_informal.csv",
         "dev-registers": REPO / "kb" / "demo" / "dev_ko_registers.csv",
         "dev-faults": REPO / "kb" / "demo" / "dev_ko_faults.csv"}
HANGUL = re.compile("[\uac00-\ud7a3]")
KEYS = ("routing_accuracy", "wrong_answer_rate", "answered_correct", "answered_wrong", "answer_rate",
        "vote_threshold", "p50_ms", "encoders")


def english_only(src: Path, dst: Path) -> None:
    """``src`` without its Korean phrasings and Korean answers (``answer_ko``)."""
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(dst, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_id", "question", "answer", "tags"])
        for r in rows:
            if not HANGUL.search(r["question"]):
                w.writerow([r["case_id"], r["question"], r["answer"], r["tags"]])


def korean_only(src: Path, dst: Path, messages: Path) -> None:
    """``src`` with its Korean phrasings only, each case answered by its Korean answer (``answer_ko``) - a
    knowledge base written in Korean - and its English phrasings, which that KB lacks, as English dev
    messages in ``messages`` (text,expected): "English messages against a Korean-only KB"."""
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    answers: dict[str, str] = {}
    for r in rows:  # the case's Korean answer (on its first row), else its English one
        if r.get("answer_ko") or (r["answer"] and r["case_id"] not in answers):
            answers[r["case_id"]] = r.get("answer_ko") or r["answer"]
    with open(dst, "w", newline="", encoding="utf-8") as fh, open(messages, "w", newline="", encoding="utf-8") as mh:
        w, m = csv.writer(fh), csv.writer(mh)
        w.writerow(["case_id", "question", "answer", "tags"])
        m.writerow(["text", "expected"])
        for r in rows:
            if HANGUL.search(r["question"]):
                w.writerow([r["case_id"], r["question"], answers[r["case_id"]], r["tags"]])
            else:
                m.writerow([r["question"], r["case_id"]])


def run(design: str, kb_file: Path, files: list[str], predictions: Path | None = None,
        tag: str = "") -> dict[str, dict[str, object]]:
    """Import ``kb_file`` under ``design`` and evaluate each of ``files``: their headline figures (and each
    message's decision in ``predictions``/``<tag>-<file>.csv`` when given)."""
    exe = [sys.executable, "-m", "bot.cli"]
    out: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="aftercare-ko-") as data_dir:
        env = {**os.environ, **DESIGNS[design], "AFTERCARE_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
        subprocess.run([*exe, "kb", "import", str(kb_file)], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        for name in files:
            t0 = time.perf_counter()
            extra = ["--predictions", str(predictions / f"{tag}-{name}.csv")] if predictions else []
            proc = subprocess.run([*exe, "eval", str(FILES[name]), "--json", "--latency-sample", "55", *extra], env=env,
                                  cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
            summary = json.loads(proc.stdout)
            out[name] = {k: summary.get(k) for k in KEYS} | {"eval_s": round(time.perf_counter() - t0, 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--designs", default="pair", help=f"comma-separated, of {', '.join(DESIGNS)}")
    ap.add_argument("--kbs", default="demo,en", help="comma-separated, of demo, en, ko")
    ap.add_argument("--files", default="dev,test", help=f"comma-separated, of {', '.join(FILES)}")
    ap.add_argument("--predictions", type=Path, default=None, help="a directory for per-message decisions")
    args = ap.parse_args(argv)
    if args.predictions:
        args.predictions.mkdir(parents=True, exist_ok=True)
    files = args.files.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        kbs = {"demo": REPO / "kb" / "demo" / "cases.csv", "en": Path(tmp) / "cases_en.csv",
               "ko": Path(tmp) / "cases_ko.csv"}
        english_only(kbs["demo"], kbs["en"])
        korean_only(kbs["demo"], kbs["ko"], Path(tmp) / "en_phrasings.csv")
        FILES["en-phrasings"] = Path(tmp) / "en_phrasings.csv"
        for design in args.designs.split(","):
            for kb in args.kbs.split(","):
                result = run(design, kbs[kb], files, args.predictions, f"{design}-{kb}")
                for name, figures in result.items():
                    print(json.dumps({"design": design, "kb": kb, "file": name, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
