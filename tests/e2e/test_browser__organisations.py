"""In a real browser: a secretary sees their organisation, an officer browses the subtree, an outsider is refused."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_secretary_logs_in_in_chinese_and_sees_their_organisation(page, log_in, demo):
    page.goto(page.base_url + "/login/")
    expect(page.locator("h1")).to_have_text("登录")  # Chinese although the browser asks for English
    log_in("shuji")
    expect(page.locator("h1")).to_contain_text("我的待办")
    expect(page.locator("header")).to_contain_text("刘建国")
    page.click("text=组织架构")
    page.click("text=中共江川市青山县河塘镇东坪村支部委员会")
    expect(page.locator("h1")).to_contain_text("东坪村")
    expect(page.locator("table.roles")).to_contain_text("书记（第一责任人）")
    expect(page.locator("table.roles")).to_contain_text("刘建国")
    expect(page.locator("table.roles")).to_contain_text("周海燕")


def test_an_officer_browses_the_subtree_by_expanding_and_searching(page, log_in, demo):
    log_in("zuzhibu")
    page.goto(page.base_url + "/orgs/")
    county = page.locator('li[data-code="JC-BH"]')
    expect(county).to_contain_text("中共白河县委员会")  # the root opened by itself, its counties listed
    children = county.locator(":scope > details > ul.tree")
    expect(children).to_be_hidden()
    county.locator(":scope > details > summary").click()
    expect(children).to_contain_text("中共白河县龙山乡委员会")
    township = page.locator('li[data-code="JC-BH-LS"]')
    township.locator(":scope > details > summary").click()
    expect(township).to_contain_text("杨家坪村")
    expect(township).to_contain_text("软弱涣散")
    county.locator(":scope > details > summary").click()  # collapse again
    expect(children).to_be_hidden()

    page.fill("input[name=q]", "杨家坪")
    page.click("form.filters button")
    expect(page.locator("table.results")).to_contain_text("白河县委 › 龙山乡党委")
    page.click("table.results a")
    expect(page.locator("h1")).to_contain_text("杨家坪村")


def test_a_user_outside_the_subtree_is_refused(page, log_in, demo):
    log_in("xianshuji")  # secretary of 青山县
    page.goto(page.base_url + "/orgs/JC-BH-LS-02/")  # a village of 白河县
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("body")).not_to_contain_text("杨家坪")
    page.goto(page.base_url + "/orgs/?q=杨家坪")
    expect(page.locator("body")).to_contain_text("找到 0 个党组织")


def test_english_can_be_chosen_in_the_header(page, log_in, demo):
    log_in("fenguan")
    page.click("header button[value=en]")
    expect(page.locator("h1")).to_contain_text("My tasks")
