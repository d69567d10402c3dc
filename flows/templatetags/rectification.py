"""`items|in_depth`: rectification items with their plan, progress, extensions and re-checks (three queries)."""

from django import template

from flows.selectors.rectification import items_in_depth

register = template.Library()


@register.filter
def in_depth(items):
    return items_in_depth(list(items or ()))
