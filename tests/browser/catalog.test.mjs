// The catalog in a real browser: home, search with facets, a dataset, a resource preview with
// its map, the publisher's pages and the administrators' harvest pages — phone and desktop,
// each scanned with axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, assertAccessible, signIn } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const viewport of ["phone", "desktop"]) {
  test(`catalog home and Japanese search with facets (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/catalog");
    assert.equal(await page.getAttribute("html", "lang"), "ja");
    await assertAccessible(page, `catalog home ${viewport}`);
    await page.goto(BASE + "/dataset?q=" + encodeURIComponent("避難"));
    const results = await page.locator("main").textContent();
    assert.match(results, /指定緊急避難場所一覧/);
    await assertAccessible(page, `search 避難 ${viewport}`);
    await page.goto(BASE + "/dataset?q=" + encodeURIComponent("クマ"));
    assert.match(await page.locator("main").textContent(), /ツキノワグマ出没情報/);
    await page.context().close();
  });

  test(`dataset page, preview table and map of a lat/lon CSV (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await page.goto(BASE + "/dataset?q=" + encodeURIComponent("ツキノワグマ"));
    const link = page.locator("ul.results h3 a").filter({ hasText: "ツキノワグマ" }).first();
    await link.click();
    await page.waitForFunction(() => /ツキノワグマ/.test(document.querySelector("h1")?.textContent || ""));
    const jsonld = await page.locator("script[type='application/ld+json']").first().textContent();
    assert.equal(JSON.parse(jsonld)["@type"], "Dataset");
    await assertAccessible(page, `dataset page ${viewport}`);
    const resource = page.locator("main a[href*='/resource/']:not([href*='download']):not([href*='history'])").first();
    const href = await resource.getAttribute("href");
    await resource.click();
    await page.waitForURL((u) => u.pathname === href.split("?")[0]);
    await page.waitForSelector("main table");
    await page.waitForFunction(() => Number(document.querySelector(".map[data-points]")?.dataset.pointCount || 0) > 0, null, { timeout: 15000 });
    await assertAccessible(page, `resource preview ${viewport}`);
    await page.context().close();
  });

  test(`publisher pages for staff (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await signIn(page, "staff@city.yamaguchi.example", "demo-staff-pass");
    await page.goto(BASE + "/staff/catalog");
    await assertAccessible(page, `staff catalog ${viewport}`);
    await page.goto(BASE + "/dataset/new");
    await assertAccessible(page, `new dataset form ${viewport}`);
    // A validation error is shown next to the field, in Japanese, and is accessible too.
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    assert.match(await page.locator("main").textContent(), /入力|必須|タイトル/);
    await assertAccessible(page, `new dataset form with errors ${viewport}`);
    await page.context().close();
  });

  // Harvest sources, as 山口市's administrator: added, run, paused, edited and deleted. The
  // source points at this demo server with a filter that matches nothing, so whenever the
  // scheduler runs it (the test does not wait for that) it changes nothing the other tests
  // see.
  test(`harvest sources for administrators (${viewport})`, async () => {
    const page = await newPage(browser, viewport);
    await signIn(page, "staff@city.yamaguchi.example", "demo-staff-pass");
    await page.goto(BASE + "/staff");
    await Promise.all([page.waitForNavigation(), page.click("main a[href='/staff/catalog/harvest']")]);
    await assertAccessible(page, `harvest sources ${viewport}`);
    await Promise.all([page.waitForNavigation(), page.click("main a[href='/staff/catalog/harvest/new']")]);
    await assertAccessible(page, `new harvest source form ${viewport}`);
    const id = `browser-${viewport}-${Date.now().toString(36)}`;
    await page.fill("#f-name", "ブラウザテストの取り込み元");
    await page.fill("#f-id", id);
    await page.fill("#f-url", "ftp://not-ckan.example");
    await page.selectOption("#f-target_org", "yamaguchi-city");
    await page.fill("#f-filter", "organization:no-such-organization");
    await page.fill("#f-schedule_minutes", "6");
    await page.selectOption("#f-unit", "hours");
    await page.check("#f-paused");
    // A mistake is explained next to the field; what was typed stays.
    await Promise.all([page.waitForNavigation(), page.click("main form.dataset-form button[type=submit]")]);
    assert.match(await page.locator("#url-error").textContent(), /http:\/\/ または https:\/\//);
    assert.equal(await page.inputValue("#f-id"), id);
    await assertAccessible(page, `new harvest source form with errors ${viewport}`);
    await page.fill("#f-url", BASE);
    await Promise.all([page.waitForNavigation(), page.click("main form.dataset-form button[type=submit]")]);
    assert.equal(new URL(page.url()).pathname, `/staff/catalog/harvest/${id}`);
    const main = () => page.locator("main").textContent();
    assert.match(await main(), /取り込み元を追加しました。/);
    assert.match(await main(), /一時停止中/);
    assert.match(await main(), /6 時間ごと/);
    await assertAccessible(page, `harvest source ${viewport}`);
    // Run now: queued for the server's scheduler (whether it has run yet does not matter).
    await Promise.all([page.waitForNavigation(), page.click(`main form[action$='/${id}/run'] button`)]);
    assert.match(await main(), /実行を予約しました。/);
    await assertAccessible(page, `harvest source queued ${viewport}`);
    // Resume, then pause again.
    await Promise.all([page.waitForNavigation(), page.click(`main form[action$='/${id}/resume'] button`)]);
    assert.match(await main(), /定期実行を再開しました。/);
    await Promise.all([page.waitForNavigation(), page.click(`main form[action$='/${id}/pause'] button`)]);
    assert.match(await main(), /定期実行を一時停止しました。/);
    await page.goto(BASE + "/staff/catalog/harvest");
    assert.match(await main(), /ブラウザテストの取り込み元/);
    await assertAccessible(page, `harvest sources with a source ${viewport}`);
    // Edit its settings: a mistake is explained next to the field, then it is saved.
    await Promise.all([page.waitForNavigation(), page.click(`main a[href='/staff/catalog/harvest/${id}']`)]);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href='/staff/catalog/harvest/${id}/edit']`)]);
    assert.equal(await page.inputValue("#f-name"), "ブラウザテストの取り込み元");
    assert.equal(await page.inputValue("#f-schedule_minutes"), "6");
    assert.match(await main(), /取り込み先の組織は変更できません。/);
    await assertAccessible(page, `harvest source edit form ${viewport}`);
    await page.fill("#f-name", "ブラウザテストの取り込み元（変更）");
    await page.fill("#f-schedule_minutes", "0");
    await Promise.all([page.waitForNavigation(), page.click("main form.dataset-form button[type=submit]")]);
    assert.match(await page.locator("#schedule_minutes-error").textContent(), /1分から1年/);
    assert.equal(await page.inputValue("#f-name"), "ブラウザテストの取り込み元（変更）");
    await assertAccessible(page, `harvest source edit form with errors ${viewport}`);
    await page.fill("#f-schedule_minutes", "12");
    await Promise.all([page.waitForNavigation(), page.click("main form.dataset-form button[type=submit]")]);
    assert.equal(new URL(page.url()).pathname, `/staff/catalog/harvest/${id}`);
    assert.match(await main(), /設定を保存しました。/);
    assert.match(await main(), /12 時間ごと/);
    assert.match(await page.locator("h1").textContent(), /（変更）/);
    // Delete it, keeping its datasets: the choice must be made first.
    await Promise.all([page.waitForNavigation(), page.click(`main a[href='/staff/catalog/harvest/${id}/delete']`)]);
    assert.match(await main(), /取り込んだデータセット（削除済みを除く）：0 件/);
    await assertAccessible(page, `harvest source delete ${viewport}`);
    await Promise.all([page.waitForNavigation(), page.click("main form button.danger")]);
    assert.match(await page.locator("#datasets-error").textContent(), /残すか削除するかを選んでください。/);
    await assertAccessible(page, `harvest source delete with errors ${viewport}`);
    await page.check("#f-datasets");
    await Promise.all([page.waitForNavigation(), page.click("main form button.danger")]);
    assert.equal(new URL(page.url()).pathname, "/staff/catalog/harvest");
    assert.match(await main(), /取り込み元を削除しました。取り込んだデータセットは残しました。/);
    assert.equal(await page.locator(`main a[href='/staff/catalog/harvest/${id}']`).count(), 0);
    await assertAccessible(page, `harvest sources after a delete ${viewport}`);
    await page.context().close();
  });
}
