// A single-page app on its own origin signs in with oidc-client-ts (a
// library nobody here wrote) in Chromium, then calls items-service with the
// access token across origins. On the way: screenshots of the sign-in page
// (desktop, a phone's width, the wrong-password state) for the docs.
//
// Then step-up (RFC 9470) as an app sees it: a user with a second factor
// (codes by oathtool, an implementation nobody here wrote) signs in, the
// app's write comes too late for items-service's max_age and is refused
// with the challenge, the app sends the user back through sign-in with the
// challenge's acr_values and max_age, and the write is accepted.
//
//   node spa.mjs SPA_ORIGIN USERNAME PASSWORD SCREENSHOT_FOLDER MFA_USER TOTP_SECRET
import { execFileSync } from "node:child_process";
import { launchChromium } from "./chromium.mjs";

const [spa, username, password, shots, mfaUser, secret] = process.argv.slice(2);
/** The code an authenticator app shows `ahead` seconds from now. */
const totp = (ahead) =>
    execFileSync("oathtool", ["--totp", "-b", secret, "-N", `now + ${ahead} seconds`]).toString().trim();
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

    const app = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const challenges = [];
    app.on("response", (r) => {
        if (r.request().method() === "PUT" && r.status() === 401) challenges.push(r.headers()["www-authenticate"]);
    });
    // A code of a step the server has not spent yet: this step's, else the
    // next one's (one step of drift is allowed), else, once the clock has
    // reached that one, the one after it.
    const enterCode = async () => {
        for (const attempt of ["this step", "the next", "after the next"]) {
            if (attempt === "after the next") await app.waitForTimeout((30 - ((Date.now() / 1000) % 30)) * 1000 + 500);
            await app.getByLabel("One-time code").fill(totp(attempt === "this step" ? 0 : 30));
            await app.getByRole("button", { name: "Continue" }).click();
            const wrong = await app.getByText("The code is wrong or was already used.")
                .waitFor({ timeout: 3000 }).then(() => true, () => false);
            if (!wrong) return;
        }
        throw new Error(`no code was accepted: ${await app.locator("main").innerText()}`);
    };
    const signIn = async () => {
        await app.getByLabel("Username").fill(mfaUser);
        await app.getByLabel("Password").fill(password);
        await app.getByRole("button", { name: "Sign in" }).click();
        await app.getByLabel("One-time code").waitFor();
    };
    await app.goto(`${spa}/index.html?write`);
    await signIn();
    await app.screenshot({ path: `${shots}/sign-in-code.png` });
    await enterCode();
    // Refused after max_age, the app comes back to the sign-in page.
    await app.getByLabel("Username").waitFor({ timeout: 20000 });
    await signIn();
    await enterCode();
    await app
        .waitForFunction(() => /^(write|error) /.test(document.title), null, { timeout: 15000 })
        .catch(async (error) => {
            throw new Error(`${error.message}: at ${app.url()}: ${await app.locator("body").innerText()}`);
        });
    const written = await app.title();
    if (written !== "write 201 aal2 pwd+otp+mfa") throw new Error(`the app says: ${written}`);
    if (challenges.length !== 1 || !/error="insufficient_user_authentication".*acr_values="aal2", max_age="\d+"/.test(challenges[0])) {
        throw new Error(`the refused write's challenges: ${JSON.stringify(challenges)}`);
    }
    console.log(`oidc-client-ts: step-up for ${mfaUser}: a write refused (${challenges[0]}), signed in again with oathtool's code, the write accepted (${written})`);
} finally {
    await browser.close();
}
