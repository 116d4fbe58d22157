"""`{% can "plan.manage_people" plan as allowed %}`: templates ask, never decide."""

from django import template

from empact.accounts import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    return permissions.can(context["request"].user, action, obj)
