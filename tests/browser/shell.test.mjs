// The web shell in a real browser: sign-in, language switch, the map, a staff page — on a
// phone-sized and a desktop viewport, every page scanned with axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, assertAccessible, signIn } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const viewport of ["phone", "desktop"]) {
  test(`home page is Japanese by default and accessible (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/");
    assert.equal(await page.getAttribute("html", "lang"), "ja");
    assert.match(await page.textContent("h1"), /やまぐちデジタル行政サービス/);
    await assertAccessible(page, `home ${viewport}`);
    await page.context().close();
  });

  test(`language switch to English and easy Japanese (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/map");
    await Promise.all([page.waitForNavigation(), page.click("nav.langs a[lang=en]")]);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal(new URL(page.url()).pathname, "/map", "stays on the same page");
    assert.match(await page.textContent("h1"), /Municipalities of Yamaguchi/);
    await assertAccessible(page, `map in English ${viewport}`);
    await Promise.all([page.waitForNavigation(), page.click("nav.langs a:has-text('やさしい にほんご')")]);
    assert.equal(await page.getAttribute("html", "lang"), "ja");
    assert.match(await page.textContent("h1"), /やまぐちけんの し・ちょう/);
    await assertAccessible(page, `map in easy Japanese ${viewport}`);
    await page.context().close();
  });

  test(`map draws the 19 municipal boundaries without a tile server (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/map");
    await page.waitForFunction(() => document.querySelectorAll("#region-map path.leaflet-interactive").length >= 19, null, { timeout: 15000 });
    const paths = await page.locator("#region-map path.leaflet-interactive").count();
    assert.equal(paths, 19);
    const attribution = await page.textContent("#region-map .leaflet-control-attribution");
    assert.match(attribution, /国土数値情報/);
    assert.match(attribution, /地理院タイル/);
    // Locate a point with the form (works without JavaScript too).
    await page.fill("#lat", "34.4178");
    await page.fill("#lon", "131.3881");
    await Promise.all([page.waitForNavigation(), page.click("form[action='/map'] button[type=submit]")]);
    assert.match(await page.textContent(".result"), /萩市/);
    await assertAccessible(page, `map ${viewport}`);
    await page.context().close();
  });

  test(`sign-in leads staff to their staff pages (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/signin");
    await assertAccessible(page, `sign-in ${viewport}`);
    await page.fill("#email", "staff@city.yamaguchi.example");
    await page.fill("#password", "wrong password");
    await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
    assert.match(await page.textContent("[role=alert]"), /正しくありません/);
    await assertAccessible(page, `sign-in error ${viewport}`);
    await signIn(page, "staff@city.yamaguchi.example", "demo-staff-pass");
    assert.match(await page.textContent(".account"), /山口市 職員/);
    await page.click("a[href='/staff']");
    await page.waitForURL(/\/staff$/);
    await assertAccessible(page, `staff overview ${viewport}`);
    await page.goto(BASE + "/staff/audit");
    assert.match(await page.textContent("h1"), /操作履歴/);
    await assertAccessible(page, `audit log ${viewport}`);
    await page.goto(BASE + "/staff/tokens");
    await page.fill("#token-name", `browser-${viewport}`);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/staff/tokens'] button[type=submit]")]);
    assert.match(await page.textContent("#new-token"), /^ydx_[0-9a-f]{64}$/);
    await assertAccessible(page, `tokens ${viewport}`);
    await page.context().close();
  });
}
