"""What the browser tests check on any page: axe-core's serious and critical violations (GB/T 37668, 信息无障碍) and
whether the page is wider than a phone's screen."""

from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "var" / "vendor" / "axe" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def axe_violations(page) -> list[dict]:
    """The serious and critical violations axe-core finds on the page as it is now (the context needs
    bypass_csp=True: the strict CSP refuses the injected checker, as it would any injected script)."""
    assert AXE.exists(), "bin/test fetches axe-core into var/vendor/axe"
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def page_width(page) -> int:
    """How wide the page is drawn: more than the screen means sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


def first_task_screen(page) -> str | None:
    """The step screen of the first task in 我的待办 (the page must show my tasks)."""
    link = page.locator('table a[href^="/flow/"]').first
    return link.get_attribute("href") if link.count() else None


def leading_inspector() -> str:
    """The demo inspector with a checklist (记录检查情况) in 我的待办: the demo's draw is random, so it is ducha only
    when ducha leads an inspection."""
    from viewflow.workflow.models import Task

    from flows.flows import InspectionFlow
    from flows.selectors.holders import OPEN_STATUSES

    leads = sorted(
        {
            t.owner.username
            for t in Task.objects.filter(status__in=OPEN_STATUSES).select_related("owner")
            if t.flow_task == InspectionFlow.record and t.owner
        },
        key=lambda username: (username != "ducha", username),
    )
    assert leads, "the demo spot check put no checklist in an inspector's inbox"
    return leads[0]
