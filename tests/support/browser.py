"""Real Chromium (Debian's package) driven by Playwright, an axe-core accessibility check,
and screenshots kept as test artefacts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[1] / "admin" / "vendor" / "axe.min.js"
LAPTOP = ViewportSize(width=1366, height=768)
PHONE = ViewportSize(width=390, height=844)
BLOCKING_IMPACTS = ("serious", "critical")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG 2.x A/AA (2.2 included) on the
    page as it is. The script is evaluated by the browser's debugger (not a <script> the
    page's CSP would refuse), so the page keeps its own strict policy."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    result: dict[str, Any] = await page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:3]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


class Screenshots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    async def take(self, page: Page, name: str) -> None:
        for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
            await page.set_viewport_size(size)
            path = self.folder / f"{name}-{label}.png"
            await page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
        await page.set_viewport_size(LAPTOP)
