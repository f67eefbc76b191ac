"""Masking of identifying numbers wherever they are listed rather than deliberately revealed."""

import re


def mask_document(number: str) -> str:
    """4101************12: the region prefix and the last two characters, nothing that identifies."""
    if not number:
        return ""
    if len(number) <= 6:
        return number[0] + "*" * (len(number) - 1)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    digits = phone or ""
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


_LONG_NUMBER = re.compile(r"[0-9A-Za-z]{7,}")


def mask_numbers_in_text(text: str) -> str:
    """Masks every long run of digits/letters in free text (e.g. a search term that was an ID number)."""
    return _LONG_NUMBER.sub(lambda match: mask_document(match.group(0)), text)
