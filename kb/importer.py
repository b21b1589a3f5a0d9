"""Parse CSV and JSONL files of solved cases, all or nothing.

Columns: ``case_id,question,answer[,tags][,product][,answer_ko][,answer_en]...``. Rows that repeat a
``case_id`` add phrasings to that case (their answer must be empty or the same). ``answer_<code>``
(a two-letter ISO 639-1 code) is the case's answer in that language, for customers who write in it;
phrasings may be in any language. JSONL lines are objects with
the same keys; ``question`` may also be a list of phrasings and ``tags`` a list. Any problem
raises :class:`ImportFileError` with the line number before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import ImportFileError

CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}$")
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FIELD_CHARS = 20_000
# ``answer_ko``: the answer in Korean; any two-letter ISO 639-1 code
TRANSLATION = re.compile(r"^answer_([a-z]{2})$")


@dataclass
class CaseRow:
    case_id: str
    answer: str
    questions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    product: str = ""
    translations: dict[str, str] = field(default_factory=dict)  # language code -> answer in it


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in re.split(r"[;,|]", str(value)) if t.strip()]


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ImportFileError(str(path), None, f"cannot read file: {e.strerror}") from e
    if size > MAX_FILE_BYTES:
        raise ImportFileError(str(path), None, f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        data = path.read_bytes()
    except OSError as e:  # a directory, no permission
        raise ImportFileError(str(path), None, f"cannot read file: {e.strerror}") from e
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM: Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ImportFileError(str(path), None, "not valid UTF-16 text (it starts with a UTF-16 mark)") from e
    if b"\x00" in data:
        raise ImportFileError(str(path), None, "binary file (NUL bytes): expected UTF-8 (or UTF-16) CSV or JSONL")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        if _looks_korean_legacy(data):
            raise ImportFileError(str(path), line, "not UTF-8: this looks like Korean text in CP949 (EUC-KR), "
                                  "as Excel saves it; save it as \"CSV UTF-8\" and import it again") from e
        raise ImportFileError(str(path), line, "not valid UTF-8 text; save it as UTF-8") from e


def _looks_korean_legacy(data: bytes) -> bool:
    """Whether ``data`` (not UTF-8) decodes as CP949 with mostly Hangul among its non-ASCII characters."""
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    return bool(wide) and sum("가" <= ch <= "힣" for ch in wide) / len(wide) > 0.8


class _Collector:
    def __init__(self, path: str) -> None:
        self.path = path
        self.cases: dict[str, CaseRow] = {}

    def add(self, line: int, case_id: Any, questions: list[Any], answer: Any, tags: Any, product: Any,
            translations: dict[str, Any] | None = None) -> None:
        cid = str(case_id or "").strip()
        if not cid:
            raise ImportFileError(self.path, line, "case_id is empty")
        if not CASE_ID.match(cid):
            raise ImportFileError(
                self.path, line, f"case_id {cid!r} must be letters, digits, '-', '_', '.', ':' (at most 120)"
            )
        qs = [str(q).strip() for q in questions if q is not None and str(q).strip()]
        if not qs:
            raise ImportFileError(self.path, line, "question is empty")
        ans = str(answer or "").strip()
        for text, name in [(ans, "answer")] + [(q, "question") for q in qs]:
            if len(text) > MAX_FIELD_CHARS:
                raise ImportFileError(self.path, line, f"{name} is longer than {MAX_FIELD_CHARS} characters")
        prod = str(product or "").strip()
        trans = {code: str(v).strip() for code, v in (translations or {}).items() if v is not None and str(v).strip()}
        for code, text in trans.items():
            if len(text) > MAX_FIELD_CHARS:
                raise ImportFileError(self.path, line, f"answer_{code} is longer than {MAX_FIELD_CHARS} characters")
        existing = self.cases.get(cid)
        if existing is None:
            if not ans:
                raise ImportFileError(self.path, line, f"answer is empty for the first row of case {cid!r}")
            self.cases[cid] = CaseRow(case_id=cid, answer=ans, questions=qs, tags=_tags(tags), product=prod,
                                      translations=trans)
            return
        if ans and ans != existing.answer:
            raise ImportFileError(
                self.path, line, f"case {cid!r} repeats with a different answer (rows of a case share one answer)"
            )
        for code, text in trans.items():
            if existing.translations.get(code, text) != text:
                raise ImportFileError(self.path, line, f"case {cid!r} repeats with a different answer_{code}")
            existing.translations[code] = text
        for q in qs:
            if q not in existing.questions:
                existing.questions.append(q)
        for t in _tags(tags):
            if t not in existing.tags:
                existing.tags.append(t)
        existing.product = existing.product or prod


def _translations(cells: dict[str, Any]) -> dict[str, Any]:
    """``{"ko": ...}`` from the ``answer_ko`` (and other ``answer_<code>``) cells of one row."""
    out: dict[str, Any] = {}
    for name, value in cells.items():
        m = TRANSLATION.match(str(name))
        if m:
            out[m.group(1)] = value
    return out


def _parse_csv(path: str, text: str) -> list[CaseRow]:
    first = text.split("\n", 1)[0]
    tabs = "\t" in first and "," not in first  # Excel's "Unicode text" separates cells with tabs
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter="\t" if tabs else ",")
    col = _Collector(path)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError(path, None, "file is empty")
        names = [h.strip().lower() for h in header]
        missing = [c for c in ("case_id", "question", "answer") if c not in names]
        if missing:
            raise ImportFileError(path, 1, f"header lacks column(s) {', '.join(missing)}; "
                                           "expected case_id,question,answer[,tags][,product]")
        unknown = [n for n in names if n not in ("case_id", "question", "answer", "tags", "product")
                   and not TRANSLATION.match(n)]
        if unknown:
            raise ImportFileError(path, 1, f"unknown column(s) {', '.join(unknown)} (answers in other languages: "
                                           "answer_ko, answer_en, ...)")
        pos = {n: i for i, n in enumerate(names)}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise ImportFileError(path, line, f"expected {len(names)} fields, found {len(row)}")
            cell = {n: row[i] for n, i in pos.items()}
            col.add(line, cell["case_id"], [cell["question"]], cell["answer"], cell.get("tags", ""),
                    cell.get("product", ""), _translations(cell))
    except csv.Error as e:
        raise ImportFileError(path, reader.line_num, f"malformed CSV: {e}") from e
    if not col.cases:
        raise ImportFileError(path, None, "no rows after the header")
    return list(col.cases.values())


def _parse_jsonl(path: str, text: str) -> list[CaseRow]:
    col = _Collector(path)
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ImportFileError(path, line_no, f"not valid JSON: {e.msg}") from e
        if not isinstance(obj, dict):
            raise ImportFileError(path, line_no, "each line must be a JSON object")
        unknown = {k for k in obj if not TRANSLATION.match(str(k))} - {
            "case_id", "question", "questions", "answer", "tags", "product"}
        if unknown:
            raise ImportFileError(path, line_no, f"unknown key(s) {', '.join(sorted(unknown))}")
        q = obj.get("question", obj.get("questions"))
        questions = q if isinstance(q, list) else [q]
        if any(not isinstance(x, str | int | float) for x in questions if x is not None):
            raise ImportFileError(path, line_no, "question must be text or a list of texts")
        col.add(line_no, obj.get("case_id"), questions, obj.get("answer"), obj.get("tags"), obj.get("product"),
                _translations(obj))
    if not col.cases:
        raise ImportFileError(path, None, "no cases in file")
    return list(col.cases.values())


def parse_file(path: str | Path) -> list[CaseRow]:
    p = Path(path)
    text = _read_text(p)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _parse_jsonl(str(p), text)
    if suffix in (".csv", ".txt", ""):
        return _parse_csv(str(p), text)
    raise ImportFileError(str(p), None, f"unknown file type {suffix!r}: use .csv or .jsonl")


def write_csv(rows: list[CaseRow], out: io.TextIOBase | Any) -> None:
    """One row per phrasing; an ``answer_<code>`` column for each language any case has an answer in."""
    codes = sorted({c for r in rows for c in r.translations})
    w = csv.writer(out)
    w.writerow(["case_id", "question", "answer", "tags", "product"] + [f"answer_{c}" for c in codes])
    for r in rows:
        for q in r.questions:
            w.writerow([r.case_id, q, r.answer, ";".join(r.tags), r.product]
                       + [r.translations.get(c, "") for c in codes])


def write_jsonl(rows: list[CaseRow], out: io.TextIOBase | Any) -> None:
    for r in rows:
        obj: dict[str, Any] = {"case_id": r.case_id, "questions": r.questions, "answer": r.answer, "tags": r.tags,
                               "product": r.product}
        obj.update({f"answer_{c}": text for c, text in sorted(r.translations.items())})
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
