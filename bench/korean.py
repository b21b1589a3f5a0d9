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
- ``pair-e5``: the pair with multilingual-e5-small-q4 as its multilingual half.

Knowledge bases (``--kbs``): ``demo`` (kb/demo/cases.csv, English and Korean phrasings) and ``en`` (the same
cases with their English phrasings only and no Korean answers: "Korean messages against an English-only KB").

Test files (``--files``): ``dev`` (kb/demo/dev_ko.csv, 93 Korean messages written for tuning), ``test``
(kb/demo/test_ko.csv, 55 held-out Korean messages), ``en`` (kb/demo/test.csv, 55 English messages).

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
}
FILES = {"dev": REPO / "kb" / "demo" / "dev_ko.csv", "test": REPO / "kb" / "demo" / "test_ko.csv",
         "en": REPO / "kb" / "demo" / "test.csv"}
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


def run(design: str, kb_file: Path, files: list[str]) -> dict[str, dict[str, object]]:
    """Import ``kb_file`` under ``design`` and evaluate each of ``files``: their headline figures."""
    exe = [sys.executable, "-m", "bot.cli"]
    out: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="aftercare-ko-") as data_dir:
        env = {**os.environ, **DESIGNS[design], "AFTERCARE_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
        subprocess.run([*exe, "kb", "import", str(kb_file)], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        for name in files:
            t0 = time.perf_counter()
            proc = subprocess.run([*exe, "eval", str(FILES[name]), "--json", "--latency-sample", "55"], env=env,
                                  cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
            summary = json.loads(proc.stdout)
            out[name] = {k: summary.get(k) for k in KEYS} | {"eval_s": round(time.perf_counter() - t0, 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--designs", default="pair", help=f"comma-separated, of {', '.join(DESIGNS)}")
    ap.add_argument("--kbs", default="demo,en", help="comma-separated, of demo, en")
    ap.add_argument("--files", default="dev,test", help=f"comma-separated, of {', '.join(FILES)}")
    args = ap.parse_args(argv)
    files = args.files.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        kbs = {"demo": REPO / "kb" / "demo" / "cases.csv", "en": Path(tmp) / "cases_en.csv"}
        english_only(kbs["demo"], kbs["en"])
        for design in args.designs.split(","):
            for kb in args.kbs.split(","):
                result = run(design, kbs[kb], files)
                for name, figures in result.items():
                    print(json.dumps({"design": design, "kb": kb, "file": name, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
