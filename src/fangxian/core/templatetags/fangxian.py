from django import template

from fangxian.core import masking
from fangxian.core.masking import mask_numbers_in_text

register = template.Library()


@register.filter
def mask_numbers(value) -> str:
    """Long digit runs (ID numbers, phones) masked, for text shown in lists."""
    return mask_numbers_in_text("" if value is None else str(value))


@register.filter
def role_capabilities(role: str) -> list[str]:
    """What a role may do, in words, for the user admin (the same data as docs/permissions.md)."""
    from fangxian.core.capabilities import Capability, capabilities_of

    held = capabilities_of(role)
    return [str(capability.label) for capability in Capability if capability.value in held]


@register.filter
def mask_document(value) -> str:
    return masking.mask_document(str(value or ""))


@register.filter
def mask_phone(value) -> str:
    return masking.mask_phone(str(value or ""))
