// A single-page app on its own origin signs in with oidc-client-ts (a
// library nobody here wrote) in Chromium, then calls items-service with the
// access token across origins. On the way: screenshots of the sign-in page
// (desktop, a phone's width, the wrong-password state) for the docs.
//
//   node spa.mjs SPA_ORIGIN USERNAME PASSWORD SCREENSHOT_FOLDER
import { launchChromium } from "./chromium.mjs";

const [spa, username, password, shots] = process.argv.slice(2);
const browser = await launchChromium();
try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${spa}/index.html`);
    await page.getByLabel("Username").waitFor();
    await page.screenshot({ path: `${shots}/sign-in.png` });
    await page.setViewportSize({ width: 390, height: 700 });
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The username or password is wrong.").waitFor();
    await page.screenshot({ path: `${shots}/sign-in-narrow-wrong-password.png` });
    // The page keeps the name and focuses the password.
    await page.keyboard.type(password);
    await page.keyboard.press("Enter");
    await page
        .waitForFunction(() => /^(items|error) /.test(document.title), null, { timeout: 15000 })
        .catch(async (error) => {
            throw new Error(`${error.message}: at ${page.url()}: ${await page.locator("main").innerText()}`);
        });
    const title = await page.title();
    if (title !== `items 200 ${username}`) throw new Error(`the app says: ${title}`);
    console.log(`oidc-client-ts: signed in ${username} on ${spa}, items-service answered 200`);
} finally {
    await browser.close();
}
