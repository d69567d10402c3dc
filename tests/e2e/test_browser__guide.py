"""The 操作指南's screenshots, taken by this test on every run: each role's demo user goes to the screens the guide's
steps talk about, the test checks what that user would look for there (the heading, the task), and saves the
screen as flows/static/flows/guide/<role>-<n>.jpg. So the guide always shows the product as it is now, and a step
the product no longer has fails here. Then the guide page must show exactly these images, each served."""

from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from flows.models import Campaign, ReviewCycle, User
from flows.services import ballots as ballot_svc
from tests import cycle_helpers as h
from tests.e2e.checks import leading_inspector

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GUIDE_IMAGES = Path(settings.BASE_DIR) / "flows" / "static" / "flows" / "guide"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_BYTES = 150_000
REVIEWED_VILLAGE = "河塘社区"  # JC-QS-HT-04 waits at 上级考评 in the township secretary's inbox (demo data)
VOTING_VILLAGE = "JC-QS-HT-03"  # 南坳村's mass evaluation is open (demo data)


@pytest.fixture
def shots(browser, live_server, settings):
    """Log in as a demo user in a fresh browser context; `shot(page, role)` saves the next image of that role."""
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    contexts, taken = [], []

    def new_context(viewport=DESKTOP, **extra):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **extra)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_default_timeout(15_000)
        return page

    def as_user(username):
        page = new_context()
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        return page

    def shot(page, role, at=None):
        """The viewport (not the full page) as JPEG: the top of the page, or from the element `at` down."""
        name = f"{role}-{sum(t.startswith(role + '-') for t in taken) + 1}.jpg"
        if at is None:
            page.evaluate("window.scrollTo(0, 0)")
        else:
            at.evaluate("e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -96); }")
        page.mouse.move(0, 0)  # no hover state in the picture
        # written beside and renamed into place: the other suite, running at the same time, may be reading it
        part = GUIDE_IMAGES / f".{name}.{connection.vendor}.part"
        page.screenshot(path=str(part), type="jpeg", quality=70, animations="disabled")
        part.replace(GUIDE_IMAGES / name)
        taken.append(name)
        return name

    new_context.as_user, new_context.shot, new_context.taken = as_user, shot, taken
    yield new_context
    for context in contexts:
        context.close()


def open_task(page, title, org):
    row = page.locator("table.tasks tr", has_text=org).filter(has_text=title)
    expect(row.first).to_be_visible()
    row.locator("a", has_text=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)


def test_each_roles_guide_shows_the_screens_of_its_steps(shots, live_server, demo):
    as_user, shot = shots.as_user, shots.shot
    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")  # the demo city's cycle
    village = h.assessment_of(cycle)  # 东坪村, waiting at its self-assessment

    # the person in direct charge: 起草自评 in 我的待办, then the form (scores, evidence, work report)
    page = as_user("fenguan")
    expect(page.locator("h1")).to_contain_text("我的待办")
    expect(page.locator("table.tasks tr", has_text="东坪村").filter(has_text="起草自评")).to_be_visible()
    shot(page, "direct_charge")
    open_task(page, "起草自评", "东坪村")
    for field in page.locator("input[name^=points_]").all():  # scored and evidenced, as the step says; not saved
        maximum = float(field.locator("xpath=ancestor::tr").locator("td").nth(1).inner_text())
        field.fill(f"{maximum * 0.9:.1f}")
    for upload in page.locator("input[type=file][data-required]").all():
        upload.set_input_files(files={"name": "三会一课台账.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"})
    expect(page.locator("button[value=save]")).to_contain_text("保存草稿")
    expect(page.locator("button[value=submit]")).to_contain_text("提交")
    shot(page, "direct_charge")

    # the secretary: 审核自评 once it is submitted, and the written reports
    h.do_self_assessment(village)
    page = as_user("shuji")
    open_task(page, "审核自评", "东坪村")
    expect(page.locator("button[value=approve]")).to_be_visible()
    expect(page.locator("button[value=return]")).to_contain_text("退回")
    shot(page, "secretary")
    page.click("nav >> text=书面报告")
    expect(page.locator("h1")).to_contain_text("书面报告")
    expect(page.locator("table.report-targets")).to_contain_text("东坪村")
    shot(page, "secretary")

    # the reviewer (the township's secretary): 上级考评 in 我的待办, scored and saved as a draft
    page = as_user("dingxuejun")
    expect(page.locator("table.tasks tr", has_text=REVIEWED_VILLAGE).filter(has_text="上级考评")).to_be_visible()
    shot(page, "reviewer")
    open_task(page, "上级考评", REVIEWED_VILLAGE)
    for field in page.locator("input[name^=points_]").all():
        maximum = float(field.locator("xpath=ancestor::tr").locator("td").nth(1).inner_text())
        field.fill(f"{maximum * 0.9:.1f}")
    page.click("button[value=save]")
    draft = page.locator(".draft-result")
    expect(draft).to_contain_text("草稿")
    expect(page.locator("input[name=outcome]").first).to_be_visible()
    shot(page, "reviewer", at=page.locator("button[value=save]"))  # the saved scores' rating and the outcomes

    # the oversight office: 等次审定 claimed from 待认领, and the cycle's dashboard
    page = as_user("zuzhibu")
    page.click("text=待认领")
    expect(page.locator("h1")).to_contain_text("待认领")
    page.locator("table.tasks tr", has_text="等次审定").locator("a", has_text="等次审定").click()
    expect(page.locator("h1")).to_contain_text("等次审定")
    expect(page.locator("section.settlement-figures")).to_contain_text("超出比例上限")
    shot(page, "office")
    page.click("nav >> text=考核周期")
    page.locator("tr", has_text=cycle.name).locator("a", has_text="工作看板").click()
    expect(page.locator("h1")).to_contain_text("工作看板")
    expect(page.locator("#chart-stages svg")).to_be_visible()
    page.wait_for_timeout(600)  # the charts' entry animation
    shot(page, "office")

    # the inspector: the drawn spot check's checklist in 我的待办 (the draw is random: whoever leads an inspection)
    page = as_user(leading_inspector())
    row = page.locator("table.tasks tr", has_text="填写检查清单").first
    expect(row).to_be_visible()
    shot(page, "inspector")
    row.locator("a", has_text="填写检查清单").click()
    expect(page.locator("h1")).to_contain_text("填写检查清单")
    expect(page.locator("select[name^=outcome_]").first).to_be_visible()
    shot(page, "inspector")

    # the member, the public: the printed code opens the ballot on a phone; the receipt to keep
    campaign = Campaign.objects.get(
        subjects__assessment__organisation__code=VOTING_VILLAGE, subjects__assessment__cycle=cycle
    )
    officer = User.objects.get(username="zuzhibu")
    _batch, (code,) = ballot_svc.tokens_issue(by=officer, campaign=campaign, count=1, group="党员")
    phone = shots(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(f"{live_server.url}/v/{campaign.public_id}/#{code}")
    expect(phone.locator("input[name=code]")).to_have_value(code)
    phone.click("#enter button")
    expect(phone.locator("#ballot")).to_contain_text("南坳村")
    shot(phone, "member")
    phone.locator("label", has_text="满意").first.click()
    phone.click("#ballot button")
    expect(phone.locator("h1")).to_contain_text("计入")
    expect(phone.locator("#receipt")).to_be_visible()
    shot(phone, "member")

    # small enough to commit and to load on a phone
    sizes = {name: (GUIDE_IMAGES / name).stat().st_size for name in shots.taken}
    assert all(size < MAX_BYTES for size in sizes.values()), sizes

    # the guide shows exactly these images, each served; no stale picture of a screen that is gone
    assert {p.name for p in GUIDE_IMAGES.glob("*.jpg")} == set(shots.taken)
    page.goto(urljoin(page.url, "/guide/"))
    expect(page.locator("h1")).to_contain_text("操作指南")
    images = page.locator("section.guide figure img")
    sources = [images.nth(i).get_attribute("src") for i in range(images.count())]
    assert sorted(Path(src).name for src in sources) == sorted(shots.taken), sources
    for figure in page.locator("section.guide figure").all():
        img = figure.locator("img")
        assert figure.locator("a").get_attribute("href") == img.get_attribute("src")  # tap for the full size
        expect(img).to_have_attribute("loading", "lazy")
        assert "截图" in img.get_attribute("alt")  # described, in Chinese
        expect(figure.locator("figcaption")).not_to_be_empty()
    for src in sources:
        response = page.request.get(urljoin(page.url, src))
        assert response.status == 200, (src, response.status)
        assert response.headers["content-type"] == "image/jpeg", src

    # and the guide with its pictures fits a phone
    phone = shots(viewport=PHONE, is_mobile=True, device_scale_factor=1)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(urljoin(page.url, "/guide/"))
    for img in phone.locator("section.guide figure img").all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "guide-phone.png"), full_page=True)
    for img in page.locator("section.guide figure img").all():
        img.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "guide-desktop.png"), full_page=True)
