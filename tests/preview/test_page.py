"""The preview page in a real browser (Debian's chromium driven by Playwright): the storyboard grid, a
clip that plays, and an edit of the project that updates the page by itself, without a reload, the
changed shot's picture replaced and the others untouched."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LUCA
from tests.preview.helpers import Watch
from tests.runtime.helpers import tiny_copy

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser() -> Any:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is part of the test extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                                    args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def keyframes(page: Any) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('article.card')]
        .map(c => [c.dataset.id, c.querySelector('img').getAttribute('src')]))""")


def test_the_page_shows_plays_and_follows_an_edit(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    project = tiny_copy(LUCA, tmp_path / "luca")
    watch = Watch(project)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(watch.url)
        page.wait_for_selector("#build[data-state='idle']", timeout=120_000)
        expect(page.locator("article.card[data-status=cached] img[src]")).to_have_count(4)

        # the grid: every shot in film order, with its type, duration, action and dialogue
        cards = page.locator("article.card")
        assert [cards.nth(i).get_attribute("data-id") for i in range(4)] == \
            ["cove/establishing", "cove/peek", "cove/dare", "jump/leap"]
        dare = page.locator("article.card[data-id='cove/dare']")
        assert dare.locator(".meta").inner_text().startswith("close up · auto ")
        assert "Alberto grins and points at the sea" in dare.locator(".action").inner_text()
        assert dare.locator(".dialogue .who").all_inner_texts() == ["ALBERTO", "LUCA"]
        assert dare.locator(".dialogue .said").all_inner_texts() == ["Come on, Luca. The sea won't bite.",
                                                                     "Silenzio, Bruno!"]
        assert page.locator("#film").get_attribute("src", timeout=5000).startswith("/o/")

        # a clip plays (from the detail panel, which also says what the shot is made of)
        page.locator("article.card[data-id='cove/peek']").click()
        assert page.locator("#detail").is_visible()
        assert "no prompt" in page.locator("#d-prompt").inner_text()  # the procedural model draws the staging
        assert page.locator("#d-tasks tr").count() == 3  # keyframe, motion, shot
        played = page.evaluate("""() => new Promise((resolve, reject) => {
            const v = document.getElementById('d-clip');
            v.muted = true;
            v.addEventListener('timeupdate', () => { if (v.currentTime > 0.2) resolve(v.currentTime); });
            v.addEventListener('error', () => reject(new Error('the clip does not play')));
            v.play().catch(reject);
        })""")
        assert played > 0.2
        assert page.evaluate("document.getElementById('d-clip').error") is None
        clip_before = page.locator("#d-clip").get_attribute("src")

        # an edit: the page updates by itself (no reload), the changed shot's picture is replaced
        before = keyframes(page)
        page.evaluate("window.__sameDocument = true")
        path = project / "film.studio.yaml"
        path.write_text(path.read_text().replace("@Luca peeks over a rock", "@Luca and @Alberto peek over a rock"))
        page.wait_for_selector(f"article.card[data-id='cove/peek'] img:not([src='{before['cove/peek']}'])",
                               timeout=120_000)
        page.wait_for_selector("#build[data-state='idle']", timeout=120_000)
        assert page.evaluate("window.__sameDocument") is True
        after = keyframes(page)
        assert {k: v for k, v in after.items() if k != "cove/peek"} == \
            {k: v for k, v in before.items() if k != "cove/peek"}
        assert "Luca and Alberto peek" in page.locator("article.card[data-id='cove/peek'] .action").inner_text()
        assert page.locator("#d-clip").get_attribute("src") != clip_before  # the open panel follows too
        rows = page.locator("#d-tasks tr").all_inner_texts()
        assert rows[0].startswith("keyframe\texecuted") or rows[0].startswith("keyframe executed"), rows
        page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    finally:
        watch.close()
