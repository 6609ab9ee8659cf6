"""The window tablet in headless Chromium (a 1280×800 tablet), end to end against the live server.

Each test pairs a tablet through its pairing screen with a code made by the devices service,
then triggers a rating request the way production does — a business system's signed API call
(made with Django's test client in the test thread) or the clerk's 请评价 button in a second
browser — and the tablet has to pick it up through its own one-second poll.

Screenshots land in artifacts/screenshots/tablet-*.png and console-devices*.png.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.organizations.devices import device_create
from haochaping.portal.tests.factories import IDENTITY, push
from haochaping.rectification.models import RectificationCase
from haochaping.testing import PASSWORD, SignedClient, build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATE_SCREEN = "#screen-rate:not([hidden])"
IDLE_SCREEN = "#screen-idle:not([hidden])"
THANKS_SCREEN = "#screen-thanks:not([hidden])"
MIN_TARGET = 64  # px: the tablet's touch targets
PUSHED = "已推送到“市场监管综合窗口”窗口评价器，请办事群众在评价器上评价。"
# A valid 1×1 PNG: the clerk's photo on file.
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def cast():
    return build_cast()


@pytest.fixture
def record(cast):
    return push(cast)


@pytest.fixture
def api(cast) -> SignedClient:
    return SignedClient(Client(), cast.system_all.app_id, cast.secret_all)


def wait_until(predicate, *, seconds: float = 8.0, step: float = 0.2):
    """Poll the database (or anything) until ``predicate()`` is truthy; return its value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def paired_tablet(browser, cast, *, screenshot: bool = False):
    """A tablet browser (1280×800) paired through its own pairing screen."""
    _, code = device_create(actor=Actor.cli(), name="市场监管综合窗口评价器", window=cast.window_a)
    page = browser.new_page("pc")
    page.goto("/tablet/")
    page.wait_for_selector("#screen-pair:not([hidden])")
    assert page.locator("#pair-title").inner_text() == "设备配对"
    # The on-screen keypad types the first digits, the keyboard the rest.
    for digit in code[:4]:
        page.locator(f'.key[data-key="{digit}"]').click()
    page.locator("#pair-code").click()
    page.keyboard.type(code[4:])
    assert page.locator("#pair-code").input_value() == code
    if screenshot:
        browser.screenshot(page, "tablet-pairing", full_page=False)
    page.get_by_role("button", name="配对", exact=True).click()
    page.wait_for_selector(IDLE_SCREEN)
    assert page.locator("#idle-window").inner_text() == "市场监管综合窗口"
    assert page.evaluate("!!localStorage.getItem('haochaping.tablet.credential')")
    return page


def ask_over_the_api(api, project_no: str = "SCJG2026110001"):
    response = api.post("/api/v1/rating-requests", {"project_no": project_no})
    assert response.status_code == 201, response.content
    return response


def assert_big_targets(page, selector: str) -> None:
    boxes = [box for box in (el.bounding_box() for el in page.locator(selector).all()) if box]
    assert boxes, selector
    for box in boxes:
        assert box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, (selector, box)


def queue_of(page) -> list[dict]:
    return page.evaluate("JSON.parse(localStorage.getItem('haochaping.tablet.queue') || '[]')")


def test_a_paired_tablet_shows_the_rating_within_two_seconds_of_an_api_call(browser, cast, record, api):
    page = paired_tablet(browser, cast, screenshot=True)
    assert page.locator("#idle-slogan").inner_text() == "请对本次服务作出评价"
    assert page.locator("#clock-time").inner_text()  # the clock runs
    browser.screenshot(page, "tablet-idle", full_page=False)

    started = time.monotonic()
    ask_over_the_api(api)
    page.wait_for_selector(RATE_SCREEN, timeout=2000)
    assert time.monotonic() - started < 2.0
    assert page.locator("#clerk-name").inner_text() == "王晓红"
    assert page.locator("#clerk-no").inner_text() == "A001"
    assert page.locator("#svc-item").inner_text() == "食品经营许可（新办）"
    assert page.locator("#clerk-avatar").is_visible()  # no photo on file: the placeholder
    for value in IDENTITY:
        assert value not in page.content()
    assert_big_targets(page, "#levels .level")
    assert page.locator("#rate-submit").is_disabled()
    browser.screenshot(page, "tablet-rating", full_page=False)

    page.get_by_role("button", name="非常不满意", exact=True).click()
    assert page.get_by_text("请至少选择一项评价理由").is_visible()
    assert not page.get_by_role("button", name="热情耐心，文明礼貌").is_visible()  # good reasons stay hidden
    page.get_by_role("button", name="态度生硬、冷漠").click()
    assert_big_targets(page, "#reasons .chip")
    page.locator("#rate-text").fill("说话很冲")
    browser.screenshot(page, "tablet-rating-bad", full_page=False)
    page.set_viewport_size({"width": 800, "height": 1280})  # the same tablet held upright
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.screenshot(page, "tablet-rating-portrait", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="提交评价").click()

    page.wait_for_selector(THANKS_SCREEN)
    assert page.locator("#thanks-title").inner_text() == "感谢您的评价！"
    assert page.locator("#thanks-bad").is_visible()
    browser.screenshot(page, "tablet-thanks", full_page=False)
    evaluation = wait_until(lambda: Evaluation.objects.filter(record=record).first())
    assert evaluation is not None
    assert (evaluation.level, evaluation.channel, evaluation.reasons, evaluation.text) == (
        1,
        4,
        ["XC-TD-B01"],
        "说话很冲",
    )
    assert RectificationCase.objects.filter(evaluation=evaluation).exists()
    assert RatingRequest.objects.get().status == "done"
    # Five seconds of thanks, then idle again; the queue is empty.
    page.wait_for_selector(IDLE_SCREEN, timeout=8000)
    assert queue_of(page) == [] and page.locator("#queue-status").is_hidden()


def test_a_rating_made_offline_is_queued_and_sent_once_when_the_network_returns(browser, cast, record, api):
    page = paired_tablet(browser, cast)
    ask_over_the_api(api)
    page.wait_for_selector(RATE_SCREEN, timeout=2000)
    page.route("**/tablet/rate", lambda route: route.abort())  # the network drops as the citizen rates
    page.get_by_role("button", name="满意", exact=True).click()
    page.get_by_role("button", name="热情耐心，文明礼貌").click()
    page.get_by_role("button", name="提交评价").click()

    page.wait_for_selector(THANKS_SCREEN)  # thanked all the same
    page.wait_for_selector("#queue-status:not([hidden])")
    assert page.locator("#queue-status").inner_text() == "待上传 1 条"
    queued = queue_of(page)
    assert len(queued) == 1 and queued[0]["record_id"] == record.pk and queued[0]["level"] == 4
    # Fully offline for a while: the staff see it; nothing reaches the server.
    page.context.set_offline(True)
    page.wait_for_selector("#net-status:not([hidden])", timeout=4000)
    assert page.locator("#net-status").inner_text() == "网络中断"
    page.wait_for_selector(IDLE_SCREEN, timeout=8000)
    browser.screenshot(page, "tablet-offline-queue", full_page=False)
    assert not Evaluation.objects.exists()

    page.context.set_offline(False)
    page.unroute("**/tablet/rate")
    page.wait_for_selector("#queue-status", state="hidden", timeout=8000)
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.level, evaluation.channel, evaluation.client_key) == (4, 4, queued[0]["client_key"])
    assert page.locator("#net-status").is_hidden()
    # The same rating sent again (a queue that did not hear the answer): the same row, never a second.
    resent = page.evaluate(
        """async (item) => {
            const response = await fetch("/tablet/rate", {method: "POST", body: JSON.stringify(item),
                headers: {"Content-Type": "application/json",
                          "X-Device-Credential": JSON.parse(localStorage.getItem("haochaping.tablet.credential"))}});
            return [response.status, await response.json()];
        }""",
        queued[0],
    )
    assert resent[0] == 200 and resent[1]["id"] == evaluation.pk and resent[1]["created"] is False
    assert Evaluation.objects.count() == 1
    # The answered request is not shown again.
    page.wait_for_timeout(1500)
    assert page.locator(IDLE_SCREEN).is_visible()


def test_the_clerks_button_reaches_the_tablet_within_two_seconds(browser, cast, record):
    cast.staff_a.photo.save("a001.png", ContentFile(PHOTO))
    tablet = paired_tablet(browser, cast)
    console = browser.new_page("pc")
    console.goto("/console/login/")
    console.get_by_label("用户名").fill("clerk_a")
    console.get_by_label("密码").fill(PASSWORD)
    console.get_by_role("button", name="登 录").click()
    console.wait_for_url("**/console/")
    console.goto("/console/records/")
    row = console.locator("tr", has_text="SCJG2026110001")
    browser.screenshot(console, "console-records-tablet")

    started = time.monotonic()
    row.get_by_role("button", name="请评价").click()
    tablet.wait_for_selector(RATE_SCREEN, timeout=2000)
    assert time.monotonic() - started < 2.0
    assert tablet.locator("#clerk-name").inner_text() == "王晓红"
    assert tablet.locator("#clerk-no").inner_text() == "A001"
    tablet.wait_for_selector("#clerk-photo:not([hidden])")  # fetched with the device credential
    assert tablet.evaluate("document.getElementById('clerk-photo').naturalWidth") == 1
    assert tablet.locator("#clerk-avatar").is_hidden()
    console.wait_for_selector(".msg-success")
    assert console.locator(".msg-success").inner_text() == PUSHED

    # The clerk cannot rate from the console's browser: the rating endpoint wants the device.
    status = console.evaluate(
        """async (record) => (await fetch("/tablet/rate", {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({record_id: record, level: 5, reasons: [], client_key: "clerk-try-0001"}),
        })).status""",
        record.pk,
    )
    assert status == 401 and not Evaluation.objects.exists()

    tablet.get_by_role("button", name="非常满意", exact=True).click()
    tablet.get_by_role("button", name="提交评价").click()
    tablet.wait_for_selector(THANKS_SCREEN)
    evaluation = wait_until(lambda: Evaluation.objects.filter(record=record).first())
    assert (evaluation.level, evaluation.channel) == (5, 4)


def test_the_rating_screen_returns_to_idle_without_a_touch_and_stays_there(browser, cast, record, api, settings):
    settings.TABLET_IDLE_SECONDS = 5
    page = paired_tablet(browser, cast)
    ask_over_the_api(api)
    page.wait_for_selector(RATE_SCREEN, timeout=2000)
    assert "秒" not in page.locator("#screen-rate").inner_text()  # no countdown on the screen
    page.wait_for_selector(IDLE_SCREEN, timeout=8000)
    page.wait_for_timeout(2500)  # two more polls: the same request is not shown again
    assert page.locator(IDLE_SCREEN).is_visible()
    # A new request from the clerk is.
    ask_over_the_api(api)
    page.wait_for_selector(RATE_SCREEN, timeout=2000)
    assert RatingRequest.objects.filter(status="replaced").count() == 1


def test_a_revoked_tablet_goes_back_to_the_pairing_screen(browser, cast):
    page = paired_tablet(browser, cast)
    console = browser.new_page("pc")
    console.goto("/console/login/")
    console.get_by_label("用户名").fill("admin_a")
    console.get_by_label("密码").fill(PASSWORD)
    console.get_by_role("button", name="登 录").click()
    console.wait_for_url("**/console/")
    console.goto("/console/devices/")
    console.wait_for_selector("text=在线")
    browser.screenshot(console, "console-devices")
    console.get_by_role("link", name="市场监管综合窗口评价器").click()
    console.get_by_role("button", name="撤销设备").click()
    console.wait_for_selector(".msg-success")
    page.wait_for_selector("#screen-pair:not([hidden])", timeout=4000)
    assert "重新生成配对码" in page.locator("#pair-error").inner_text()
    assert not page.evaluate("localStorage.getItem('haochaping.tablet.credential')")


def test_the_console_shows_a_new_devices_code_once(browser, cast):
    console = browser.new_page("pc")
    console.goto("/console/login/")
    console.get_by_label("用户名").fill("admin_a")
    console.get_by_label("密码").fill(PASSWORD)
    console.get_by_role("button", name="登 录").click()
    console.wait_for_url("**/console/")
    console.goto("/console/devices/new/")
    console.get_by_label("窗口（窗口评价器）").select_option(label="市场监管综合窗口（W-A1，石龙区政务服务中心）")
    console.get_by_role("button", name="添加并生成配对码").click()
    code = console.locator("#pairing-code").inner_text().replace(" ", "")
    assert len(code) == 8 and code.isdigit()
    browser.screenshot(console, "console-device-code")
    console.reload()
    assert console.locator("#pairing-code").count() == 0
    # The code pairs a tablet.
    tablet = browser.new_page("pc")
    tablet.goto("/tablet/")
    tablet.locator("#pair-code").fill(code)
    tablet.get_by_role("button", name="配对", exact=True).click()
    tablet.wait_for_selector(IDLE_SCREEN)
    console.goto("/console/devices/")
    assert console.locator("#device-table").get_by_text("已配对").is_visible()
    assert json.loads(tablet.evaluate("localStorage.getItem('haochaping.tablet.device')"))["window_code"] == "W-A1"


CHIP_UNCOVERED = """(chip) => {
    chip.scrollIntoView({block: "nearest"});
    const box = chip.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const inView = box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
    return inView && !!hit && (hit === chip || chip.contains(hit));
}"""


@pytest.mark.parametrize("level", ["不满意", "非常不满意"])
def test_no_reason_chip_is_covered_by_the_submit_bar(browser, cast, record, api, level):
    """Issue 13 item 14: in 不满意 mode the submit hint covered the 服务态度 chips at 1280×800."""
    page = paired_tablet(browser, cast)
    ask_over_the_api(api)
    page.wait_for_selector(RATE_SCREEN, timeout=2000)
    page.get_by_role("button", name=level, exact=True).click()
    page.wait_for_selector("#reasons .chip")
    assert page.get_by_text("请至少选择一项评价理由").is_visible()
    chips = page.locator("#reasons .chip").all()
    assert len(chips) >= 4
    for chip in chips:
        assert chip.evaluate(CHIP_UNCOVERED), chip.inner_text()
        chip.click(trial=True, timeout=2000)  # Playwright's own hit test agrees: nothing covers it
    browser.screenshot(page, f"tablet-rating-{'dissatisfied' if level == '不满意' else 'very-dissatisfied'}",
                       full_page=False)  # fmt: skip
    # The submit bar is still there, below the questions.
    assert page.locator("#rate-submit").is_visible() and page.locator("#rate-need").is_visible()


def test_a_pasted_code_pairs_and_the_idle_screen_shows_the_staff_and_the_pause(browser, cast, record, api):
    """Issue 13 item 14: the code pasted as displayed, the staff on duty, 暂停服务 from the console,
    and 已推送，等待评价 on the records list."""
    cast.staff_a.photo.save("a001.png", ContentFile(PHOTO))
    _, code = device_create(actor=Actor.cli(), name="市场监管综合窗口评价器", window=cast.window_a)
    tablet = browser.new_page("pc")
    tablet.goto("/tablet/")
    tablet.wait_for_selector("#screen-pair:not([hidden])")
    tablet.locator("#pair-code").focus()
    tablet.keyboard.insert_text(f"{code[:4]} {code[4:]}")  # a paste: one insertion, the space included
    assert tablet.locator("#pair-code").input_value() == code
    tablet.get_by_role("button", name="配对", exact=True).click()
    tablet.wait_for_selector(IDLE_SCREEN)

    staff = tablet.locator("#idle-staff")
    staff.wait_for()
    assert "王晓红" in staff.inner_text() and "工号 A001" in staff.inner_text()
    # A function, not an expression: Playwright polls an expression with eval(), which the
    # page's Content-Security-Policy refuses ('unsafe-eval' is not allowed).
    tablet.wait_for_function(
        "() => { const img = document.querySelector('#idle-staff img'); return !!img && img.naturalWidth === 1; }"
    )
    assert tablet.locator("#idle-slogan").is_visible() and tablet.locator("#idle-paused").is_hidden()
    assert tablet.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    browser.screenshot(tablet, "tablet-idle-staff", full_page=False)

    console = browser.new_page("pc")
    console.goto("/console/login/")
    console.get_by_label("用户名").fill("clerk_a")
    console.get_by_label("密码").fill(PASSWORD)
    console.get_by_role("button", name="登 录").click()
    console.wait_for_url("**/console/")
    console.goto("/console/records/")
    console.get_by_role("button", name="暂停服务").click()
    console.wait_for_selector(".msg-success")
    tablet.wait_for_selector("#idle-paused:not([hidden])", timeout=3000)
    assert tablet.locator("#idle-paused").inner_text().startswith("暂停服务")
    assert tablet.locator("#idle-slogan").is_hidden()
    browser.screenshot(tablet, "tablet-idle-paused", full_page=False)
    # No rating while paused: the 请评价 push is refused, the tablet stays on 暂停服务.
    assert api.post("/api/v1/rating-requests", {"project_no": "SCJG2026110001"}).status_code == 409
    console.locator("tr", has_text="SCJG2026110001").get_by_role("button", name="请评价").click()
    console.wait_for_selector(".msg-error")
    tablet.wait_for_timeout(1500)
    assert tablet.locator("#screen-rate").is_hidden()

    console.get_by_role("button", name="恢复服务").click()
    console.wait_for_selector(".msg-success")
    tablet.wait_for_selector("#idle-slogan", state="visible", timeout=3000)
    console.locator("tr", has_text="SCJG2026110001").get_by_role("button", name="请评价").click()
    console.wait_for_selector(".msg-success")
    row = console.locator("tr", has_text="SCJG2026110001")
    assert row.locator(".rating-awaiting").inner_text() == "已推送，等待评价"
    browser.screenshot(console, "console-records-awaiting")
    tablet.wait_for_selector(RATE_SCREEN, timeout=2000)
    tablet.get_by_role("button", name="非常满意", exact=True).click()
    tablet.get_by_role("button", name="提交评价").click()
    wait_until(lambda: Evaluation.objects.filter(record=record).exists())
    console.reload()
    assert console.locator(".rating-awaiting").count() == 0
