"""`{% if request.user|may_score_now:assessment %}`: show the score sheet link only to whoever the assessment is
waiting for (the rule itself is the policy's, through `flows.excel.exports.may_score_now`)."""

from django import template

from flows.excel import exports

register = template.Library()


@register.filter
def may_score_now(user, assessment) -> bool:
    return exports.may_score_now(user, assessment)
