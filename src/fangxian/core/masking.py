"""Masking of identifying numbers wherever they are listed rather than deliberately revealed.

Numbers are masked on their normalised form: a number typed with spaces or dashes between its groups, in
full-width digits, or with a lowercase x is the same number and is masked the same way.
"""

import re
import unicodedata


def mask_document(number: str) -> str:
    """4101************12: the region prefix and the last two characters, nothing that identifies."""
    if not number:
        return ""
    if len(number) <= 6:
        return number[0] + "*" * (len(number) - 1)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    digits = normalise_number(phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


# Separators people put inside numbers: spaces (also full-width), dashes of every width, dots, slashes, the
# apostrophe Excel users type before a number to keep it as text.
_SEPARATOR = r"[\s\-_.·/'\u2010-\u2015\u2212\uff0d\uff0e\uff0f]"
_SEPARATORS = re.compile(_SEPARATOR)
_LETTER = r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]"

# A run with at least six digits, optionally opened by up to three letters (passports, permits) and closed by a
# check character, separators allowed between any two characters. \d also matches full-width digits.
_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z\uff10-\uff19])(?:{_LETTER}{{1,3}}{_SEPARATOR}?)?\d(?:{_SEPARATOR}?\d){{5,}}(?:{_SEPARATOR}?[Xx\uff38\uff58])?"
)
# Dates and times in filters and details are not identities.
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


def normalise_number(text: str) -> str:
    """The number as it is stored: full-width folded, separators removed, letters upper-case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def mask_document_text(text: str) -> str:
    """A document number as somebody typed it, masked on its normalised form."""
    return mask_document(normalise_number(text or ""))


def mask_numbers_in_text(text: str) -> str:
    """Masks every number-like run in free text (a search term, a pushed row's cell, an error message)."""

    def masked(match: re.Match) -> str:
        token = match.group(0)
        if _DATE.fullmatch(token.strip()):
            return token
        return mask_document(normalise_number(token))

    return _NUMBER.sub(masked, text)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修文 → 欧***: enough for a door to greet the person, not to name them."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
