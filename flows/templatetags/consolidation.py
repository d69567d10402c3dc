"""The indicator "软弱涣散党组织整顿" beside the consolidation it is read from (issue 20): on the self-assessment and
review screens, the points the organisation's consolidation of that year gives, as a suggestion with its reason."""

from django import template

from flows.domain import consolidation as rules
from flows.selectors import consolidation as reads

register = template.Library()


@register.simple_tag
def consolidation_hint(assessment, indicator):
    """{"points", "label", "status"} for the consolidation indicator of the assessment's year; None for any other."""
    if assessment is None or indicator is None or not rules.is_consolidation_indicator(indicator.name):
        return None
    return reads.indicator_suggestion(assessment.organisation, assessment.cycle.year, indicator.max_points)
