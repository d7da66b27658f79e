// Loads a service's /docs/ in headless Chromium and fails unless every
// request the page makes succeeds (the page is offline-capable: any request
// to another host fails the check). With a token, also authorises in the
// page and runs GET /v1/items from it, which must answer 200.
//   node scripts/docs-check.mjs BASE_URL [TOKEN]
import { launchChromium } from "./chromium.mjs";

const [base, token] = process.argv.slice(2);
const origin = new URL(base).origin;
const browser = await launchChromium();
const failures = [];
try {
    const page = await browser.newPage();
    page.on("requestfailed", (r) => failures.push(`${r.url()} failed: ${r.failure()?.errorText}`));
    page.on("request", (r) => {
        if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) {
            failures.push(`${r.url()} is not on ${origin}`);
        }
    });
    page.on("response", (r) => {
        // The one expected non-2xx: the call made below without a token.
        if (r.status() >= 400) failures.push(`${r.url()} answered ${r.status()}`);
    });
    await page.goto(`${base}/docs/`, { waitUntil: "networkidle" });
    // The page renders the operations after it has fetched the document.
    await page.locator(".opblock").first().waitFor({ timeout: 20000 }).catch(() => {});
    const operations = await page.locator(".opblock").count();
    if (operations === 0) failures.push("no operation is shown");
    console.log(`docs-check: ${base}/docs/ shows ${operations} operations`);

    if (token) {
        await page.locator("button.authorize").first().click();
        const bearer = page.locator(".auth-container").filter({ hasText: "bearer" });
        await bearer.locator("input").first().fill(token);
        await bearer.locator("button.authorize").click();
        await page.locator("button.close-modal").click();

        const list = page.locator(".opblock-get").filter({
            has: page.locator('.opblock-summary-path[data-path="/v1/items"]'),
        });
        await list.locator(".opblock-summary").click();
        await list.locator("button.try-out__btn").click();
        const answered = page.waitForResponse((r) => r.url().startsWith(`${base}/v1/items`));
        await list.locator("button.execute").click();
        const response = await answered;
        const sent = response.request().headers()["authorization"] ?? "";
        if (response.status() !== 200) failures.push(`GET /v1/items from the page answered ${response.status()}`);
        if (!sent.startsWith("Bearer ")) failures.push("the page sent no bearer token");
        await list.locator(".live-responses-table tr.response .response-col_status").first().waitFor();
        const shown = (await list.locator(".live-responses-table tr.response .response-col_status").first().innerText()).trim();
        if (shown !== "200") failures.push(`the page shows status ${shown}`);
        console.log(`docs-check: authorised, GET /v1/items from the page answered ${response.status()}`);
    }
} finally {
    await browser.close();
}
if (failures.length > 0) {
    console.error(failures.join("\n"));
    process.exit(1);
}
