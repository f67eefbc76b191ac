from django import template

from fangxian.core.masking import mask_numbers_in_text

register = template.Library()


@register.filter
def mask_numbers(value) -> str:
    """Long digit runs (ID numbers, phones) masked, for text shown in lists."""
    return mask_numbers_in_text("" if value is None else str(value))
