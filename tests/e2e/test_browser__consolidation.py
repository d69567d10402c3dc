"""Consolidating a weak-and-lax organisation in the browser, on phones (issue 20): the city's organisation department
designates 东坪村 with the criteria met, draws up the plan with a responsible leader, adds a milestone and puts the
plan in force; the village secretary reports the milestone reached; the department records the acceptance check
(验收) and only then lifts the designation. Every page passes axe and fits a 390 px screen."""

import pytest
from playwright.sync_api import expect
from viewflow.workflow.models import Task

from flows.models import ConsolidationPlan, Organisation, User, WeakAndLaxPeriod
from flows.models.people import today
from flows.selectors.tasks import task_url
from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "JC-QS-HT-01"


def phone(browser, live_server, settings, username):
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(live_server.url + "/")
    return context, page


def fits_and_passes(page, name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consolidation-{name}.png"), full_page=True)
    assert page_width(page) <= 390, name
    assert axe_violations(page) == [], name


def test_designation_plan_progress_acceptance_lift_on_phones(browser, live_server, demo, settings):
    office, page = phone(browser, live_server, settings, "zuzhibu")
    page.goto(f"{live_server.url}/orgs/{CODE}/consolidation/designate/")
    fits_and_passes(page, "designate")
    page.check("input[name=criteria][value=org_life]")
    page.check("input[name=criteria][value=members_lax]")
    page.fill("textarea[name=reason]", "三看两查：三会一课长期不落实，党员管理松散")
    page.click("#designate-form button[type=submit]")
    expect(page.locator("#designation")).to_contain_text("三会一课长期不落实")
    period = WeakAndLaxPeriod.objects.get(organisation__code=CODE, end=None)
    assert period.criteria.count() == 2

    # the plan: measures, responsible leader, a milestone; then in force
    page.fill("#plan-form textarea[name=measures]", "乡党委书记包村，驻村工作队进驻，恢复三会一课")
    page.select_option("#plan-form select[name=leader]", str(User.objects.get(username="xianshuji").pk))
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#plan dd.leader")).to_be_visible()
    page.click("#milestones summary")
    page.fill("#milestone-form input[name=title]", "三会一课恢复正常")
    page.fill("#milestone-form input[name=due]", today().isoformat())
    page.click("#milestone-form button[type=submit]")
    expect(page.locator("ol.milestones")).to_contain_text("三会一课恢复正常")
    page.click("#milestones form button.primary")
    expect(page.locator("[data-state=under_way]")).to_be_visible()
    fits_and_passes(page, "under-way")

    # the village secretary reports the milestone reached, from the task in 我的待办
    village, secretary = phone(browser, live_server, settings, "shuji")
    task = Task.objects.get(process__consolidation_milestone__plan__period=period, flow_task_type="HUMAN")
    expect(secretary.locator(f"a[href='{task_url(task)}']").first).to_be_attached()  # in 我的待办
    secretary.goto(live_server.url + task_url(task))
    secretary.fill("textarea[name=text]", "三会一课已按月召开，记录齐全")
    secretary.check("input[name=completes]")
    fits_and_passes(secretary, "progress")
    secretary.click("form.step-form button[type=submit]")
    secretary.wait_for_url(live_server.url + "/")
    secretary.goto(f"{live_server.url}/consolidation/{period.pk}/")
    expect(secretary.locator("ol.milestones")).to_contain_text("三会一课已按月召开")
    village.close()

    # the acceptance check, then lifting
    page.reload()
    expect(page.locator("#lift-form")).to_have_count(0)  # no lifting before a passed check
    page.click("#acceptance summary")
    page.check("#acceptance-form input[name=passed][value=yes]")
    page.fill("#acceptance-form textarea[name=reasons]", "整顿目标实现，群众满意")
    page.click("#acceptance-form button[type=submit]")
    expect(page.locator("#lift-form")).to_be_visible()
    fits_and_passes(page, "accepted")
    page.fill("#lift-form input[name=reason]", "验收合格，销号")
    page.click("#lift-form button[type=submit]")
    expect(page.locator("[data-state=lifted]")).to_be_visible()
    assert not Organisation.objects.get(code=CODE).weak_and_lax
    assert ConsolidationPlan.objects.get(period=period).state == "lifted"
    office.close()
