"""`{% duties_beside assessment %}`: each indicator of the assessment beside the duties of the organisation's duty
list that cover it (issue 20), for the self-assessment, approval and review pages."""

from django import template

from flows.selectors import duties as selectors

register = template.Library()


@register.inclusion_tag("flows/duties/_beside_indicators.html")
def duties_beside(assessment):
    return {"beside": selectors.duties_beside_indicators(assessment) if getattr(assessment, "cycle_id", None) else None}
