"""The web chat's own words (the page and the widget's frame), per reply language, and which language a
page opens in. Both the chat page (``bot.adapters.web``) and the console's widget frame render them, so
a label the page's script asks for is always there."""

from __future__ import annotations

import json

from bot.replies import LANGUAGES

# the chat page's own words, per reply language; the page switches to the conversation's language
PAGE_LABELS: dict[str, dict[str, str]] = {
    "en": {"title": "Support chat", "sub": "Ask a question or describe a problem. A person takes over when needed.",
           "message": "Message", "placeholder": "Type your message…", "send": "Send", "ticket": "Ticket",
           "agent": "Agent", "support": "(support)", "retrying": "Connection problem, retrying…",
           "not_sent": "Not sent: {error}. Your text is kept; press Send to try again.",
           "refused": "Not sent: {reason} Your text is kept.",
           "press_again": "Not sent: {error}. Press the button again.",
           "not_loaded": "Could not load the conversation: {error}", "name": "Your name",
           "optional": "(optional)", "name_hint": "so the team knows who you are"},
    "ko": {"title": "고객 지원 채팅", "sub": "질문을 쓰시거나 문제를 설명해 주세요. 필요하면 상담원이 이어받습니다.",
           "message": "메시지", "placeholder": "메시지를 입력하세요…", "send": "보내기", "ticket": "티켓",
           "agent": "상담원", "support": "(고객지원)", "retrying": "연결 문제로 다시 시도하는 중…",
           "not_sent": "보내지 못했습니다: {error}. 입력한 내용은 그대로 있으니 보내기를 다시 눌러 주세요.",
           "refused": "보내지 못했습니다: {reason} 입력한 내용은 그대로 있습니다.",
           "press_again": "보내지 못했습니다: {error}. 버튼을 다시 눌러 주세요.",
           "not_loaded": "대화를 불러오지 못했습니다: {error}", "name": "이름",
           "optional": "(선택)", "name_hint": "담당자가 누구신지 알 수 있도록"},
}


def page_language(asked: str, accept_language: str, default: str) -> str:
    """The chat page's first language: ``?lang=`` when there are labels in it, else the browser's first
    Accept-Language with labels, else ``app.language``."""
    if asked in PAGE_LABELS:
        return asked
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in PAGE_LABELS and code in LANGUAGES:
            return code
    return default if default in PAGE_LABELS else "en"


def labels_json() -> str:
    """All languages' labels as the JSON the page's ``data-labels`` attribute carries."""
    return json.dumps(PAGE_LABELS, ensure_ascii=False)
