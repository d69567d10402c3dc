"""Whether to offer the written report link: the access policy's answer, asked from a template."""

from django import template

from flows.policy import access

register = template.Library()


@register.simple_tag
def may_download_annual_report(user, organisation, subtree=False):
    return access.can_download_annual_report(user, organisation, subtree=subtree)
