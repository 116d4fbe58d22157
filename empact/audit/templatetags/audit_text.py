from django import template

from empact.audit.export import escape_controls

register = template.Library()


@register.filter
def visible_controls(value) -> str:
    r"""Control characters shown as escapes (\n, \x1b), so an auditor sees them."""
    return escape_controls(str(value))
