"""A spot check in the browser: the oversight office draws, the inspector records a finding with evidence,
the office confirms it, and the village secretary finds the new rectification item in the inbox."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser__cycle import as_user, open_task  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_office_draws_inspector_finds_secretary_rectifies(as_user, demo, tmp_path):  # noqa: F811
    from flows.models import SpotCheckPlan

    photo = tmp_path / "会议记录本照片.pdf"
    photo.write_bytes(b"%PDF-1.4\n% photo of the minutes book\n")
    due = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()

    # 1. the oversight office plans a check of one village with one inspector, freezes and draws
    page = as_user("zuzhibu")
    page.click("nav >> text=随机抽查")
    page.click("text=新建抽查方案")
    page.select_option("select[name=office]", label="中共江川市委组织部")
    page.fill("input[name=name]", "2026年东坪村专项抽查")
    page.fill("input[name=scope_code]", "JC-QS-HT-01")
    page.check("input[name=sectors][value=village]")
    page.fill("input[name=rate_percent]", "100")
    page.fill("input[name=inspectors_per_target]", "1")
    page.get_by_label("孙志刚（市委督查室督查员）").check()
    page.fill("input[name=due]", due)
    page.click("text=保存方案")
    expect(page.locator(".messages")).to_contain_text("方案已保存")
    page.click("text=冻结抽查对象并承诺种子")
    expect(page.locator("[data-plan-state]")).to_contain_text("抽查对象已冻结")
    page.fill("input[name=numbers]", "现场掷骰 4 2 6 1 5")
    page.fill("textarea[name=witnesses]", "王建华\n李秀英")
    page.click("text=现在抽签")
    expect(page.locator("[data-plan-state]")).to_contain_text("已抽签")
    plan = SpotCheckPlan.objects.get(name="2026年东坪村专项抽查")
    expect(page.locator("[data-seed]")).to_have_text(plan.seed)
    page.click("text=抽签证书")
    expect(page.locator("[data-verification]")).to_have_attribute("data-verification", "ok")

    # 2. the inspector completes the checklist with a finding and its evidence
    page = as_user("ducha")
    open_task(page, "填写检查清单")
    for select in page.locator("select[name^=outcome_]").all():
        select.select_option(label="符合要求")
    page.select_option("select[name=outcome_C1]", label="不符合")
    page.select_option("select[name=check_code]", value="C1")
    page.select_option("select[name=severity]", label="较重")
    page.fill("textarea[name=description]", "2026年第三季度党员大会无会议记录")
    page.fill("textarea[name=requirement]", "补齐记录，严格落实三会一课")
    page.set_input_files("input[name=evidence]", str(photo))
    page.click("text=添加该问题")
    expect(page.locator(".messages")).to_contain_text("已添加该问题")
    expect(page.locator("[data-finding]")).to_contain_text("会议记录本照片.pdf")
    page.click("text=提交并签署")
    expect(page.locator(".messages")).to_contain_text("检查记录已提交")

    # 3. the office confirms the finding from its queue and gives the secretary a deadline
    page = as_user("zuzhibu")
    page.click("text=待认领")
    open_task(page, "认定发现问题")
    finding = page.locator("fieldset.finding")
    finding.locator("input[value=confirm]").check()
    finding.locator("select[name^=owner_]").select_option(label="刘建国（东坪村党支部书记、村委会主任）")
    finding.locator("input[name^=due_]").fill(due)
    page.click("text=记录认定结果")
    expect(page.locator(".messages")).to_contain_text("问题认定结果已记录")

    # 4. the village secretary sees the new rectification item in the inbox
    page = as_user("shuji")
    row = page.locator("table.tasks tr", has_text="2026年第三季度党员大会无会议记录")
    expect(row).to_be_visible()
    expect(row).to_contain_text("东坪村")
