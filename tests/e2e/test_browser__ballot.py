"""On a phone: vote with a printed code (the QR's address), keep the receipt, and find it counted after close.
Through the real server (uvicorn, as bin/serve starts it), so the cast goes the way a voting day's casts go:
flows/ballot_door/asgi.py in front of Django."""

import io
import zipfile

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests import cycle_helpers as h
from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_voter_on_a_phone_votes_with_a_printed_code_and_checks_the_receipt(browser, asgi_server, settings, demo):
    from tests.e2e.conftest import ARTIFACTS

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    officer = h.county_officer()
    officer.set_password(settings.DEMO_PASSWORD)
    officer.save()

    office = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = office.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.goto(asgi_server + "/login/")
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.goto(asgi_server + f"/campaigns/new/?assessment={a.pk}")
    page.click("form button.primary")
    expect(page.locator("h1")).to_contain_text("群众评议")
    page.fill("input[name=count]", "5")
    with page.expect_download() as download:
        page.click("form[action$='/issue/'] button")
    archive = zipfile.ZipFile(download.value.path())
    xlsx = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    rows = list(load_workbook(io.BytesIO(archive.read(xlsx)), read_only=True).active.iter_rows(values_only=True))
    printed_link = rows[3][2]  # what the QR code of the first slip holds
    assert "#" in printed_link
    page.click("form[action$='/open/'] button")
    expect(page.locator(".messages")).to_contain_text("投票已开始")

    phone = browser.new_context(**PHONE, bypass_csp=True)  # bypass: to inject axe-core only
    voter = phone.new_page()
    voter.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    voter.goto(printed_link.replace("http://testserver", asgi_server))
    expect(voter.locator("input[name=code]")).to_have_value(printed_link.split("#")[1])
    seen = {"entry": (page_width(voter), axe_violations(voter))}
    voter.click("#enter button")
    seen["ballot"] = (page_width(voter), axe_violations(voter))
    voter.locator("label", has_text="基本满意").first.click()
    voter.click("#ballot button")
    receipt = voter.locator("#receipt").inner_text().strip()
    assert len(receipt) == 11
    seen["receipt"] = (page_width(voter), axe_violations(voter))
    voter.screenshot(path=str(ARTIFACTS / "ballot-receipt-phone.png"))

    page.reload()
    page.click("text=立即结束投票")
    expect(page.locator(".messages")).to_contain_text("投票已结束")

    voter.click("text=结果与回执核对")
    voter.fill("input[name=receipt]", receipt.lower())
    voter.click("form button")
    expect(voter.locator("[role=status]", has_text="回执")).to_contain_text("已计入")
    voter.screenshot(path=str(ARTIFACTS / "ballot-results-phone.png"), full_page=True)
    seen["results"] = (page_width(voter), axe_violations(voter))
    # every page the voter sees fits the phone's 390 px and has no serious accessibility fault
    assert all(width <= 392 and not faults for width, faults in seen.values()), seen
    phone.close()
    office.close()
