// Shared setup of the browser tests: Debian's Chromium driven by playwright-core, and an
// axe-core scan that fails on any WCAG 2.x A/AA violation.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const BASE = process.env.YDX_TEST_URL || "http://127.0.0.1:8080";
export const VIEWPORTS = {
  phone: {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  },
  desktop: { viewport: { width: 1280, height: 900 } },
};

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
    ],
  });
}

/// A fresh context (no cookies) with Japanese as the browser's language unless told otherwise.
export async function newPage(browser, viewport, locale = "ja-JP") {
  const ctx = await browser.newContext({ ...VIEWPORTS[viewport], locale });
  const page = await ctx.newPage();
  return page;
}

/// Runs axe-core on the page and fails with the violations listed.
export async function assertAccessible(page, label) {
  // The page fits its viewport: no sideways scrolling of the whole page on a phone (wide
  // tables scroll inside their own box).
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 1, `${label}: the page is ${overflow}px wider than the viewport`);
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
    }));
  });
  assert.deepEqual(result, [], `axe violations on ${label}:\n${JSON.stringify(result, null, 2)}`);
}

export async function signIn(page, email, password) {
  await page.goto(`${BASE}/signin`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
}
