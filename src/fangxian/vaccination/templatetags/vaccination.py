from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def over_full(row, source) -> bool:
    return row.over_full(source)


@register.simple_tag
def rate(row, milestone, source=None) -> str:
    value = row.rate(milestone, source)
    return "—" if value is None else f"{value}%"
