"""Remove personal data and secrets from text before it becomes part of the knowledge base.

Draft cases are made from what customers and agents wrote on a ticket; approved as is they are sent
to anyone who asks. :func:`scrub` replaces, each with a bracketed placeholder:

- e-mail addresses (``[email]``), IBANs whole, spaced or not (``[IBAN]``);
- Korean resident registration numbers ``YYMMDD-NNNNNNN`` (``[resident number]``) and business
  registration numbers ``NNN-NN-NNNNN`` (``[business number]``);
- passwords given in words ("my password is ...", "temporary password: ...", "비밀번호는 ...", "set the PIN
  to 1234"; "reset it to ..." only where the text speaks of a password or logging in, and only a value that
  looks like a secret: "set it to Auto", "reset it to factory settings", "set it to 1080p" stay),
  API keys and tokens (known prefixes such as ``sk-``, ``xoxb-``, ``ghp_``, ``AKIA``, JWTs, "API key
  ...", "Bearer ...", and long random strings of letters and digits), one-time codes ("verification
  code 482913", "OTP: 1234", "인증번호 123456") as ``[password]``, ``[secret]`` and ``[code]``;
- a Wi-Fi network's name where the text names it ("network HomeNet5G", "SSID: Kim_5G"; a name has a digit or
  an inner capital) as ``[network]``, and a phone number with its area code in brackets;
- passwords of a Wi-Fi, router or account ("the password for the wifi is ...", "wifi pass: ...", "wifi key
  is ...", "와이파이 비번은 ...",
  "비밀번호 ...입니다"), always the whole value ("Hunter2!!" leaves no "!!");
- card numbers (``[number]``), a card's expiry ("exp 12/28", "유효기간 12/28": ``[expiry]``, where the text
  speaks of a card) and security code ("cvv 123", "CVC: 987": ``[card code]``), phone numbers, Korean mobile
  and landline numbers with or without dashes included (``[phone]``), and account, order and customer
  numbers (``account [number]``);
- US social security numbers ``NNN-NN-NNNN`` and passport, driving-licence, national or tax id numbers
  (``[id number]``), user names and login ids ("user id hong_gildong", "my username is ...", "ID: ...",
  "아이디는 ...": ``[user id]``; "ticket ID", "device ID" stay);
- a name the text introduces ("my name is ...", "I'm Kim Minsu", "제 이름은 ...", "저는 김민수입니다"), a postal
  address and a device's serial number (``[name]``, ``[address]``, ``serial [number]``: :mod:`kb.scrub_identity`).

:func:`kb.personal.mostly_personal` tells a scrubbed text that is mostly such data ("my password is
[password]"): it states no problem and is never proposed or published as a phrasing.

Error codes and ticket ids stay ("error code 500", "AC-000123"): agents and editors need them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kb.scrub_identity import scrub_bank_account, scrub_identity
from kb.scrub_korean import scrub_korean_password_words

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# country code, check digits, then 11-30 letters/digits, grouped by 4 with spaces or not
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b", re.I)
# Korean resident registration number: birth date, then 7 digits whose first is 1-8 (sex and century)
_KR_RRN = re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-?\s?[1-8]\d{6}(?!\d)")
# Korean business registration number: NNN-NN-NNNNN
_KR_BRN = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{5}(?!\d)")
# Korean phone numbers: mobile 01X, Seoul 02, regional 0[3-6]X, 070 and 050X; dashes, dots, spaces or none.
# Not bounded by \b: Korean writes particles right after the number ("010-1234-5678로").
_KR_PHONE = re.compile(r"(?<![\d+])0(?:1[016789]|2|[3-6][1-5]|70|50[2-8]?)[-. ]?\d{3,4}[-. ]?\d{4}(?!\d)")
# 13-19 digits, grouped by spaces or dashes; the space after the number is not part of it
_CARD = re.compile(r"\b(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{5}|\d(?:[ -]?\d){12,18})\b")
# a card's expiry and security code: "exp 12/28", "valid thru 12/2028", "유효기간 12/28", "cvv 123", "CVC: 9876"
_CARD_CONTEXT = re.compile(r"\b(?:card|cvv2?|cvc2?|visa|master\s*card|amex|credit|debit)\b|카드|\[number\]", re.I)
_EXPIRY = re.compile(
    r"(?P<k>(?:\b(?:exp(?:iry|iration|ires|ired|ire|\.)?|valid\s+(?:thru|through|until|to)|good\s+thru)"
    r"(?:\s+(?:date|is|on|:))*|유효\s*기간|만료\s*일?)\s*(?:은|는|이|:)?\s*|\[number\]\s+)"
    r"(?P<v>(?:0?[1-9]|1[0-2])\s?[/.-]\s?(?:\d{4}|\d{2}))(?![\d/])", re.I)
_CVV = re.compile(r"(?P<k>\b(?:cvv2?|cvc2?|cvn|csc|card\s+(?:security|verification)\s+(?:code|number|value))\b"
                  r"(?:\s*(?:is|:|=|code|number|번호는?|는|은))*\s*)(?P<v>\d{3,4})(?!\d)", re.I)
# a US social security number, and id numbers named as such: passport, driving licence, national or tax id
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_ID_NUMBER = re.compile(
    r"(?P<k>\b(?:ssn|social\s+security|passport|driver'?s?\s+licen[cs]e|national\s+id|tax\s+id)"
    r"(?:\s+(?:number|no\.?|#))?\b(?:\s+(?:is|was|:))*\s*[:#]?\s*|(?:여권|운전\s*면허|외국인\s*등록)\s*번호"
    r"\s*(?:는|은|:)?\s*)(?P<v>(?=[A-Z-]*\d)[A-Z0-9-]{5,})(?![\w-])", re.I)
# a user name or login id: "user id hong_gildong", "my username is ...", "ID: ...", "아이디는 ...", "my login is
# jsmith", "user: jsmith", "I log in as jsmith"
_USER_ID = re.compile(
    r"(?P<k>(?:\b(?P<as>(?:log(?:ged)?|sign(?:ed)?)[- ]?in\s+as)"
    r"|\b(?:(?:user|login|log-in|account)\s*(?:name|id)|member\s*id|id|(?P<bare>log-?in|user(?=\s*[:=])))"
    r"(?![a-z0-9_])(?:는|은|가|이)?(?:\s+(?:is|was|:|=))*"
    r"|(?:아이디|(?:사용자|계정|회원)\s*(?:이름|아이디|ID)|계정)"
    r"\s*(?P<p>는|은|가|이|:)?)(?:\s*[:=]\s*|\s+|(?<=[는은가이:])))(?P<v>[^\s\"'”’»,가-힣]+)", re.I)
# the word before a bare "ID" that makes it a ticket's, an error's or a device's id, not a person's
_THING_ID = re.compile(r"\b(?:ticket|case|error|order|request|transaction|device|serial|session|message|product|"
                       r"model|reference|ref|tracking|camera|app|apple|network|wifi|wi-fi)\s*$", re.I)
_TICKET_REF = re.compile(r"^[A-Z]{2,}-\d+$")
# words after "username" that describe it: "my username is taken"
_NOT_USER_TEXT = "taken unknown unavailable duplicate registered different shown displayed changed locked disabled"
_NOT_USER = frozenset((_NOT_USER_TEXT + " blocked suspended deleted broken slow stuck down failing usual normal "
                                       "guest admin always before page screen button fails").split())
_PHONE = re.compile(r"(?<!\w)(?:\+|\((?=\d{2,4}\)))?\d[\d ()./-]{7,}\d")
# a Wi-Fi network's name (SSID) where the text names it: "network HomeNet5G", "SSID: Kim_5G", "my wifi is called
# Olleh_GiGA_1234"; a name has a digit or an inner capital ("network settings", "wifi 6" and "5GHz" stay)
_NETWORK = re.compile(
    r"(?P<k>\b(?i:ssid|network\s+name|wi-?fi\s+name|network|wi-?fi)(?i:\s+(?:is|was|called|named|:))*\s*[:=]?\s*)"
    r"(?P<v>(?=[^\s,]*[A-Za-z])(?=[^\s,]*(?:\d|[a-z][A-Z]))[A-Za-z0-9_\-]{4,})(?![\w-])")
# an account, order or customer number has a digit in it: "account settings", "customer support" keep their word
_ACCOUNT = re.compile(r"\b(account|acct|order|iban|customer)\s*(no\.?|number|#|id)?\s*[:#]?\s*"
                      r"(?=[A-Z-]*\d)[A-Z0-9-]{5,}\b", re.I)

# Words that describe a password rather than being one: "my password is not working".
_NOT_SECRET_TEXT = """
    not wrong incorrect invalid expired working correct right too very still being case the a an my your
    our their same different longer shorter blank empty missing locked required needed saved stored reset
    changed rejected refused accepted ok okay fine there here it that this now also always never no
    strong weak long short only just definitely correctly forgotten lost gone asked new old
    what why how when where which please and or but if so for of on in at by with without from as
    sent shown hidden visible ignored set updated case-sensitive
"""
_NOT_SECRET = frozenset(_NOT_SECRET_TEXT.split())


def _secret_value(name: str) -> str:
    """A secret after its keyword: one run of non-space characters, quotes around it left out."""
    return r"[\"'“‘«]?(?P<" + name + r">[^\s\"'”’»]+)"


_SECRET_VALUE = _secret_value("v")
_PASSWORD = re.compile(
    r"(?P<k>\b(?:(?:temporary|temp|new|initial|one[- ]time|default|current|old|wifi|wi-fi|admin)\s+)?"
    r"(?:pass(?:word|code|phrase)|passkey|pwd|pw|pin|(?<=wifi\s)(?:pass|key)|(?<=wi-fi\s)(?:pass|key)"
    r"|(?<=network\s)key)(?:\s+(?:code|number))?\b"
    r"(?:\s+(?:for|of|to|on)\s+(?:the\s+|my\s+|our\s+|your\s+|this\s+)?(?:[\w-]+\s+)?"
    r"(?:wifi|wi-fi|network|router|account|app|admin|camera|hub|device|login|email|e-mail)\b)?"
    r"(?:\s+(?:is|was|are|will\s+be|would\s+be|has\s+been|set\s+to|reset\s+to|changed\s+to|to|as|now|still|:))*"
    r"(?:\s*[:=]\s*|\s+))" + _SECRET_VALUE,
    re.I,
)
# a secret of several words: after "password:" (or "="), "비밀번호:", "비번은", and after "passphrase" however it is
# given ("my passphrase is red fox jumps"), the clause up to ",", ";", a sentence's end, a joining word ("and",
# "but") or a Korean word is the secret ("password: correct horse battery staple" leaves none of its words)
_MULTI_WORD = re.compile(
    r"(?P<k>\b(?:(?:temporary|temp|new|initial|default|current|old|wifi|wi-fi|admin|account|login)\s+)?"
    r"(?:pass(?:word|code)|pwd|pw|(?<=wifi\s)pass|(?<=wi-fi\s)pass)"
    r"(?:\s*[:=]\s*|(?:\s+(?:i\s+use|i\s+used|i\s+set|i\s+typed|i\s+entered))?\s+(?:is|was)\s+)"
    r"|\bpass\s*:\s*"
    r"|\bpass\s*phrase(?:\s+(?:is|was|:|=))*(?:\s*[:=]\s*|\s+)"
    r"|(?:비밀\s*번호|비번|패스워드|암호)\s*(?:(?:는|은)\s*(?:[:=]\s*)?|[:=]\s*))(?P<v>[^\n]*)", re.I)
# words that end the clause a secret of several words is in
_JOINS_TEXT = "and but or so then because when while which though although if after before since until"
_JOINS = frozenset(_JOINS_TEXT.split())
# words that describe a password rather than being one, beside ``_NOT_SECRET`` ("password: doesn't work anymore")
_DESCRIBES_TEXT = """
    doesn't doesnt does don't dont isn't isnt won't wont work works accept accepts accepting keeps keep fails failing
    anymore again today yesterday since after before update error message says said shows app phone should
    thanks thank thx please pls help
"""
_DESCRIBES = frozenset(_DESCRIBES_TEXT.split())


def _clause(rest: str) -> int:
    """Where the clause at the start of ``rest`` ends: before a joining word or a Korean word, after a word
    ending in ",", ";" or a sentence's end; a quoted secret ends at its closing quote."""
    lead = rest.lstrip()
    if lead[:1] in "\"'“‘«":
        close = {"“": "”", "‘": "’", "«": "»"}.get(lead[0], lead[0])
        at = lead.find(close, 1)
        if at > 0:
            return len(rest) - len(lead) + at + 1
    end = 0
    for tok in re.finditer(r"\S+", rest):
        word = tok.group(0)
        if word.lower() in _JOINS:
            break
        hangul = next((i for i, c in enumerate(word) if "가" <= c <= "힣"), None)
        if hangul is not None:
            end = tok.start() + hangul if hangul else end
            break
        end = tok.end()
        if word[-1] in ",;" or (word.endswith(".") and not word.endswith("..")):
            break
    return end


def _several_words(m: re.Match[str]) -> str:
    """``[password]`` for a secret of several words (see ``_MULTI_WORD``); one word is left to the passes of
    one-word secrets, and a clause of words that describe the password ("not working anymore") stays."""
    key, rest = m.group("k"), m.group("v")
    end = _clause(rest)
    secret, after = rest[:end], rest[end:]
    said = [w.lower().strip(".,;:!?()\"'“”‘’«»") for w in secret.split()]
    describing = sum(w in _NOT_SECRET or w in _DESCRIBES for w in said)
    if len(said) < 2 or secret.lstrip().startswith("[") or describing >= len(said) - describing:
        return key + secret + _MULTI_WORD.sub(_several_words, after)
    return f"{key}[password]{_tail(secret)}" + _MULTI_WORD.sub(_several_words, after)


# a PIN or passcode is digits (or looks like a secret): "the PIN is four digits" keeps its words
_PIN_KEY = re.compile(r"\b(?:pin|passcode)\b", re.I)
# the text speaks of a credential: only then is "reset it to X" read as a password given
_CREDENTIAL = re.compile(r"\b(?:pass(?:word|code|phrase)s?|pwd|pin|log[- ]?in|sign[- ]?in|credentials?)\b"
                         r"|비밀\s*번호|비번|패스워드|암호|로그인", re.I)
# a setting's value, not a secret: 1080p, 4K, 30fps, 2.4GHz, 80%, 10s, version 2.3.1
_SETTING_VALUE = re.compile(r"^(?:\d+(?:[.,]\d+)?\s*(?:p|i|k|x|fps|hz|khz|mhz|ghz|mp|kb|mb|gb|tb|kbps|mbps|db|w|v|mah|"
                            r"ms|s|sec|secs|min|mins|h|hrs?|m|cm|mm|ft|%|°[cf]?)|v?\d+(?:\.\d+)+)$", re.I)
# "I reset it to X", "reset your password to X", "changed it to X", "log in with X"
_RESET_TO = re.compile(
    r"(?P<k>\b(?:re)?set\s+(?:it|this|your\s+password|the\s+password|yours)\s+(?:to|as)\s+)" + _SECRET_VALUE
    + r"|(?P<k2>\b(?:temporary|temp|initial)\s+(?:login|log-in|access)\s*[:=]?\s*)" + _secret_value("w"),
    re.I,
)
# the value stops at Hangul: "비밀번호를 1234로 바꿨어요" keeps its 로
# a Latin value after a particle ("비번은 sunshine") or before a copula ("비밀번호 qwerty입니다") is the password
_KO_PASSWORD = re.compile(r"(?P<k>(?:임시\s*)?(?:(?:와이파이|wifi|wi-fi)\s*)?"
                          r"(?:비밀\s*번호|비번|패스워드|암호|PIN\s*(?:번호)?|핀\s*번호)\s*(?:는|은|가|이|을|를)?\s*(?:[:=]\s*)?)(?P<v>[^\s\"'”’»,가-힣]+)"
                          r"(?=\s*(?P<cop>입니다|이에요|예요|이고|이요|요)?)", re.I)
# one-time codes: qualified ("verification code", "OTP", "2FA code", "인증번호"), never a bare "error code"
_OTP = re.compile(
    r"(?P<k>\b(?:(?:one[- ]time|verification|security|login|log-in|sms|2fa|two[- ]factor|mfa|confirmation|"
    r"auth(?:entication)?|access|sign[- ]in|reset)\s+(?:code|pin|number)|otp|totp|2fa|mfa)\b"
    r"(?:\s+(?:is|was|:|=|of|number|code))*\s*[:=]?\s*)(?P<v>[A-Z0-9]?\d[A-Z0-9-]{2,9})\b"
    r"|(?P<k2>(?:인증\s*(?:번호|코드)|보안\s*코드|확인\s*(?:번호|코드)|OTP)\s*(?:는|은|가|이)?\s*[:=]?\s*)"
    r"(?P<w>\d[\d-]{2,9})(?!\d)",
    re.I,
)
# API keys and tokens by their well-known prefixes
_TOKEN_PREFIX = re.compile(
    r"\b(?:(?:sk|pk|rk)[-_](?:live|test|prod|proj)?[-_]?[A-Za-z0-9_-]{8,}"
    r"|xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}"
    r"|AKIA[0-9A-Z]{12,}|AIza[0-9A-Za-z_-]{20,}|ya29\.[0-9A-Za-z_-]{16,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)?)"
)
_KEYED_SECRET = re.compile(
    r"(?P<k>(?<!\[)\b(?:api[ _-]?key|api[ _-]?token|access[ _-]?(?:key|token)|secret(?:[ _-]?key)?|client[ _-]?secret|"
    r"auth(?:orization)?[ _-]?token|token|bearer|private[ _-]?key|(?:API\s*)?키|토큰)"
    r"(?:\s+(?:is|was|:|=))*(?:\s*[:=]\s*|\s+))" + _SECRET_VALUE,
    re.I,
)
# a long run of letters and digits with both in it: what random keys look like, not words or ids
_RANDOM = re.compile(r"(?<![\w/.-])[A-Za-z0-9_\-+/]{20,}={0,2}(?![\w/.-])")


# "password is sunshine", "password: sunshine": the word after is the password whatever it looks like;
# after "set to", "reset to" it must look like one ("reset the password to default" keeps its word)
_CONNECTED = re.compile(r"(?:[:=]|\b(?:is|was|are|be|been|now|still)\b|[는은가이])\s*$", re.I)


def _password_like(value: str) -> bool:
    """Digits, symbols or inner capitals: 'Xy7-kQ2p', 'hunter2', '1234'; not a plain word like 'field' or
    'Auto', nor a setting's value like '1080p', '4K', '2.4GHz' or a version '2.3.1'."""
    core = value.strip(".,;:!?()")
    if _SETTING_VALUE.match(core):
        return False
    return any(c.isdigit() for c in core) or any(not c.isalnum() for c in core) or any(c.isupper() for c in core[1:])


def _keep_key(repl: str, *, strict: bool = False) -> Callable[[re.Match[str]], str]:
    """A substitution that keeps the keyword ("password is ") and replaces the value after it.

    The value stays when it describes the secret instead of being one ("is not working"); without a
    connecting "is" or ":" (and always when ``strict``) it must look like a secret (digits, symbols)."""

    def sub(m: re.Match[str]) -> str:
        groups = m.groupdict()
        key, value = groups.get("k"), groups.get("v")
        if key is None or value is None:  # the pattern's second alternative matched
            key, value = groups.get("k2") or "", groups.get("w") or ""
        bare = value.lower().strip(".,;:!?()")
        if bare in _NOT_SECRET or value.startswith("[") or not any(c.isalnum() for c in bare):
            return m.group(0)
        connected = _CONNECTED.search(key) or groups.get("cop")
        if (strict or not connected or _PIN_KEY.search(key)) and not _password_like(value):
            return m.group(0)
        return f"{key}{repl}{_tail(value)}"

    return sub


def _tail(value: str) -> str:
    """What ends the sentence after a secret, kept after its placeholder: one "." or "," (or a ")" the value
    did not open); "!", "?" and every other character are part of the secret ("Hunter2!!" goes whole)."""
    if value.endswith(")") and "(" not in value:
        return ")"
    if len(value) > 1 and value[-1] in ".," and value[-2] not in ".,":
        return value[-1]
    return ""


def _user_id(m: re.Match[str]) -> str:
    """``[user id]`` for the value of a user name or login id; a bare "ID" after a thing ("ticket ID",
    "device ID"), a ticket reference and a word describing the id ("is wrong", "login is failing") stay. Without
    "is"/":" the value must look like an id (a digit, "_", "." or "@" in it), except after Korean "아이디"."""
    key, value = m.group("k"), m.group("v")
    bare = value.lower().strip(".,;:!?()")
    if (bare in _NOT_SECRET or bare in _NOT_USER or value.startswith("[") or _TICKET_REF.match(value.strip(".,"))
            or not any(c.isalnum() for c in bare)):
        return m.group(0)
    if key.strip().lower().startswith("id") and _THING_ID.search(m.string[: m.start()]):
        return m.group(0)
    korean = any("가" <= c <= "힣" for c in key)
    looks_like_id = any(c.isdigit() or c in "_.@" for c in bare)
    if m.group("bare") or m.group("as"):  # "my login is jsmith", "log in as jsmith"; "login is failing" stays
        if (m.group("bare") and not _CONNECTED.search(key)) or (not looks_like_id and bare.endswith(("ing", "ed"))):
            return m.group(0)
    elif not korean and not _CONNECTED.search(key) and not looks_like_id:
        return m.group(0)
    return f"{key}[user id]{_tail(value)}"


def _network(m: re.Match[str]) -> str:
    """``[network]`` for a Wi-Fi network's name; a setting's value ("5GHz", "2.4GHz") stays."""
    if _SETTING_VALUE.match(m.group("v")):
        return m.group(0)
    return f"{m.group('k')}[network]"


def _looks_random(m: re.Match[str]) -> str:
    s = m.group(0)
    digits = sum(c.isdigit() for c in s)
    letters = sum(c.isalpha() for c in s)
    mixed_case = any(c.isupper() for c in s) and any(c.islower() for c in s)
    if digits >= 3 and letters >= 3 and (mixed_case or digits >= 6):
        return "[secret]"
    return s


def scrub(text: str) -> str:
    """``text`` with personal data and secrets replaced by bracketed placeholders (see the module doc).

    Pure and idempotent: scrubbing twice gives the same text."""
    text = _EMAIL.sub("[email]", text)
    text = scrub_identity(text)  # names, postal addresses, serial numbers (kb.scrub_identity)
    text = _TOKEN_PREFIX.sub("[secret]", text)
    text = _KEYED_SECRET.sub(_keep_key("[secret]", strict=True), text)
    text = _MULTI_WORD.sub(_several_words, text)
    text = _PASSWORD.sub(_keep_key("[password]"), text)
    if _CREDENTIAL.search(text):  # "set it to Auto", "reset it to factory settings" give no password
        text = _RESET_TO.sub(_keep_key("[password]", strict=True), text)
    text = scrub_korean_password_words(text)  # "비번은 사랑해 우리 강아지 입니다" (kb.scrub_korean)
    text = _KO_PASSWORD.sub(_keep_key("[password]"), text)
    text = _ID_NUMBER.sub(_keep_key("[id number]"), text)
    text = _SSN.sub("[id number]", text)
    text = _USER_ID.sub(_user_id, text)
    text = _OTP.sub(_keep_key("[code]"), text)
    text = _IBAN.sub(lambda m: "[IBAN]" if sum(c.isdigit() for c in m.group(0)) >= 8 else m.group(0), text)
    text = _RANDOM.sub(_looks_random, text)
    text = scrub_bank_account(text)  # before phone numbers: "계좌번호 110-123-456789" (kb.scrub_identity)
    text = _KR_RRN.sub("[resident number]", text)
    text = _KR_BRN.sub("[business number]", text)
    text = _KR_PHONE.sub("[phone]", text)
    text = _CARD.sub("[number]", text)
    if _CARD_CONTEXT.search(text):  # "expires 12/28" of a subscription keeps its date
        text = _EXPIRY.sub(lambda m: f"{m.group('k')}[expiry]", text)
    text = _CVV.sub(lambda m: f"{m.group('k')}[card code]", text)
    # before phone numbers: "order #LU-2024-88812" is an order number, not "#LU-[phone]"
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)} [number]", text)
    text = _PHONE.sub("[phone]", text)
    text = _NETWORK.sub(_network, text)
    return text


# the placeholders :func:`scrub` writes
PLACEHOLDER = re.compile(r"\[(?:email|IBAN|resident number|business number|password|secret|code|number|phone|"
                         r"expiry|card code|id number|user id|network|name|address|account)\]")
