"""Field cases of `kb import` encodings: Excel's "Unicode text" (UTF-16 with its mark, cells separated
by tabs) is imported; a Korean file saved as CP949 is refused with what to do ("save it as CSV UTF-8")."""

from __future__ import annotations

from pathlib import Path

from bot.app import Aftercare
from tests.desk_support import Cli

ROWS = [["case_id", "question", "answer", "answer_ko"],
        ["thermostat-e7", "the thermostat shows E7", "Replace the batteries.", "배터리를 교체하세요."],
        ["thermostat-e7", "온도 조절기에 E7이 떠요", "", ""]]


def test_excel_unicode_text_is_imported_and_cp949_gets_the_way_out(ac: Aftercare, cli: Cli, tmp_path: Path) -> None:
    utf16 = tmp_path / "excel-unicode.txt"
    utf16.write_bytes("\r\n".join("\t".join(r) for r in ROWS).encode("utf-16"))  # with its BOM, little-endian
    out = cli("kb", "import", str(utf16))
    assert "binary" not in out, out
    case = ac.kb.get("thermostat-e7")
    assert case.questions == ["the thermostat shows E7", "온도 조절기에 E7이 떠요"]
    assert case.translations.get("ko") == "배터리를 교체하세요."

    legacy = tmp_path / "cp949.csv"
    legacy.write_bytes("\n".join(",".join(r) for r in ROWS).replace("thermostat-e7", "thermostat-e8")
                       .encode("cp949"))
    out = cli("kb", "import", str(legacy), code=1)
    assert "CP949" in out and "UTF-8" in out, out
    assert "thermostat-e8" not in [c.id for c in ac.kb.list(limit=10**6)]
