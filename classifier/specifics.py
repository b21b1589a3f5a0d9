"""What a message is about: its specific words, once the words every complaint shares are left out.

"it doesnt work", "still broken!!", "help, problem with the app" name nothing a person could act
on: no feature, no action, no symptom beyond "does not work". "the app crashes when I upload a
photo" names three things. ``specifics`` returns the words that carry the subject; a message
with none is vague: the bot asks what the customer was trying to do before a ticket is opened,
and a reaction typed under an answer ("that didn't help, I want a person") is about that answer,
while a new question ("hw do i cancl my subscripton") is not.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

# Words that say nothing about what is wrong: function words, "does not work" and its kin, the
# product in general, courtesy, insistence and feedback on an answer. English, with common
# chat spellings ("doesnt", "pls").
_GENERIC_WORDS = """
a an the this that these those it its it's thing things stuff something anything everything
i i'm im me my mine we our us you your u he she they them his her their
is are was were be been being am do does did doing done have has had having get got gets getting
can can't cant cannot could couldn't couldnt will won't wont would wouldn't wouldnt should shall may might must
not no nope never nothing none don't dont doesn't doesnt didn't didnt isn't isnt aren't arent wasn't wasnt
weren't werent haven't havent hasn't hasnt
and or but so if then than too also just only even still again anymore any more some all very really
at in on of to for from with without by about as up down out off over into
now today yesterday anyway though please pls plz thanks thank thx ok okay hi hello hey there yes yeah
work works working worked function functioning functions go goes going run runs running
broken broke break breaks fail fails failed failing failure wrong bad weird strange odd
problem problems issue issues error errors bug bugs trouble glitch help helped helping helpful useless
fix fixed sort sorted happen happened happening happens
app apps application program software system service site website device product account thing
answer answers answered reply response question questions ask asked that's thats
person human agent someone somebody people real live staff support team operator representative
talk speak chat want need let connect transfer call contact same
"""
GENERIC = frozenset(_GENERIC_WORDS.split())


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (apostrophes kept inside: "doesn't")."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text.replace("\u2019", "'"))]


def specifics(text: str) -> list[str]:
    """The words of ``text`` that name what it is about (not in ``GENERIC``, not digits alone)."""
    return [w for w in words(text) if w not in GENERIC and not w.isdigit()]


def is_vague(text: str) -> bool:
    """True when ``text`` has words but none of them names anything: "it doesnt work", "help!!",
    "still broken", "that didn't help, talk to a person". Text in a script without spaces between
    words (Korean, Japanese, Chinese) is never judged vague here."""
    found = words(text)
    if not found or any(not w.isascii() for w in found):
        return False
    return not specifics(text)


_PERSON_WORDS = """
person human humans agent agents someone somebody representative rep operator staff people real live
manager supervisor support team employee advisor adviser consultant
"""
PERSON_WORDS = frozenset(_PERSON_WORDS.split())


def may_ask_for_person(text: str) -> bool:
    """Whether ``text`` can be a request for a person (or a verdict that an answer did not help): it
    names a person ("talk to a human", "I want an agent about my bill"), or names nothing else ("that
    didn't help", "useless"). A typo'd question ("hw do i cancl my subscripton") names other things
    and no person, so however its neighbours lean it is not one. Text in a script without spaces
    between words is not judged here (True)."""
    found = words(text)
    if not found or any(not w.isascii() for w in found):
        return True
    return not specifics(text) or any(w in PERSON_WORDS for w in found)
