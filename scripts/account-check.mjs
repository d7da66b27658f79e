// The account page (GET /account/) end to end in headless Chromium: sign in
// through the sign-in page, see this session, set up an authenticator app
// (the QR code shown; codes computed by oathtool, an implementation nobody
// here wrote), store the recovery codes, sign out and in again with a code,
// end another session, turn the factor off with a recovery code, change the
// password; each effect checked through the API, at a phone's width too.
// Fails on any console error, failed request or request to another host.
// Writes the screenshots.
//   node account-check.mjs AUTH_URL SHOTS_DIR
import { execFileSync } from "node:child_process";
import { launchChromium } from "./chromium.mjs";

const [auth, shots] = process.argv.slice(2);
const authOrigin = new URL(auth).origin;
const USER = "carol";
const PASSWORD = "account-check-passphrase";
const NEW_PASSWORD = "account-check-new-passphrase";
const failures = [];
const fail = (message) => failures.push(message);
const check = (condition, message) => { if (!condition) fail(message); };

async function call(method, path, { token, json, form } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form) { headers["Content-Type"] = "application/x-www-form-urlencoded"; body = new URLSearchParams(form); }
  const response = await fetch(`${auth}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
const registered = await call("POST", "/v1/users", { json: { username: USER, password: PASSWORD } });
check(registered.status === 201, `registering ${USER} answered ${registered.status}`);
// Another session of carol's, to end from the page.
const elsewhere = await call("POST", "/v1/token", { form: { grant_type: "password", username: USER, password: PASSWORD } });
check(elsewhere.status === 200, `carol's other login answered ${elsewhere.status}`);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", timezoneId: "UTC" });
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 401")) fail(`console error: ${m.text()}`); });
page.on("pageerror", (e) => fail(`script error: ${e.message}`));
page.on("request", (r) => { if (!r.url().startsWith(authOrigin) && !r.url().startsWith("data:")) fail(`${r.url()} is not on ${authOrigin}`); });
page.on("response", (r) => {
  // The sign-in page's answer to a spent code is the one refusal expected.
  if (r.status() >= 400 && !(r.url() === `${auth}/v1/authorize` && r.status() === 401)) {
    fail(`${r.request().method()} ${r.url()} answered ${r.status()}`);
  }
});
const shot = (name) => page.screenshot({ path: `${shots}/account-${name}.png`, fullPage: true });

/** oathtool's code `ahead` seconds from now. */
const totp = (secret, ahead) =>
  execFileSync("oathtool", ["--totp", "-b", secret, "-N", `now + ${ahead} seconds`]).toString().trim();

/** Signs in on the sign-in page; with `secret`, gives a code the server has not spent. */
async function signIn(password, secret) {
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  if (!secret) return;
  for (const attempt of ["this step", "the next", "after the next"]) {
    if (attempt === "after the next") await page.waitForTimeout((30 - ((Date.now() / 1000) % 30)) * 1000 + 500);
    await page.getByLabel("One-time code").fill(totp(secret, attempt === "this step" ? 0 : 30));
    await page.getByLabel("One-time code").press("Enter");
    const wrong = await page.getByText("The code is wrong or was already used.")
      .waitFor({ timeout: 3000 }).then(() => true, () => false);
    if (!wrong) return;
  }
  throw new Error("no code was accepted");
}

try {
  await page.goto(`${auth}/account`);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  check(page.url() === `${auth}/account/`, `/account led to ${page.url()}`);
  await signIn(PASSWORD);
  await page.getByText(`Signed in as ${USER}`).waitFor();
  await page.getByText("Off: a password alone signs you in.").waitFor();
  await page.getByText("This session").waitFor();
  const storage = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  check(storage[0] === 0 && storage[1] === 0 && storage[2] === "", `the page stored something: ${storage}`);
  check((await page.locator("#session-rows tr").count()) === 2, "carol's two sessions are listed");
  await shot("signed-in");

  // End the other session: its refresh token stops working.
  await page.getByRole("button", { name: /^End the session/ }).click();
  await page.getByText("The session has ended.").waitFor();
  const ended = await call("POST", "/v1/token", { form: { grant_type: "refresh_token", refresh_token: elsewhere.body.refresh_token } });
  check(ended.status === 400, `the ended session's refresh answered ${ended.status}`);

  // Set up an authenticator app: the QR code is shown, oathtool reads the key.
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const qr = page.getByRole("img", { name: "The QR code of your authenticator key" });
  await qr.waitFor();
  check(await qr.evaluate((img) => img.complete && img.naturalWidth >= 200), "the QR code did not render");
  const secret = (await page.locator("#mfa-secret").innerText()).trim();
  check(/^[A-Z2-7]{32}$/.test(secret), `the key is ${secret}`);
  await shot("mfa-setup");
  // With the keyboard alone: the page focused the code's field.
  const focused = await page.evaluate(() => document.activeElement?.id);
  check(focused === "mfa-confirm-code", `after the setup the focus is on ${focused}`);
  await page.keyboard.type(totp(secret, 0));
  await page.keyboard.press("Enter");
  await page.getByText("Your recovery codes: store them now").waitFor();
  const codes = await page.locator("#mfa-code-list li").allInnerTexts();
  check(codes.length === 10 && codes.every((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c)), `the codes are ${codes}`);
  await shot("recovery-codes");
  await page.getByRole("button", { name: "I have stored them" }).click();
  check((await page.locator("#mfa-code-list li").count()) === 0, "the codes stay on the page");
  await page.getByText("On: sign-ins ask for a code").waitFor();
  const refused = await call("POST", "/v1/token", { form: { grant_type: "password", username: USER, password: PASSWORD } });
  check(refused.body?.error === "mfa_required", `a password alone now answers ${JSON.stringify(refused.body)}`);

  // Sign out, and in again with a code.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You are signed out.").waitFor();
  await signIn(PASSWORD, secret);
  await page.getByText(`Signed in as ${USER}`).waitFor();
  await page.getByText("password and code").waitFor();

  // A phone's width: nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the narrow page scrolls sideways by ${overflow}px`);
  await shot("narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Off with a recovery code.
  await page.getByLabel("Code from the app, or a recovery code").fill(codes[0]);
  await page.getByRole("button", { name: "Turn off two-step sign-in" }).click();
  await page.getByText("Two-step sign-in is off.").waitFor();
  const passwordAlone = await call("POST", "/v1/token", { form: { grant_type: "password", username: USER, password: PASSWORD } });
  check(passwordAlone.status === 200, `after turning it off a password alone answered ${passwordAlone.status}`);

  // A new password: every session ends, the new one signs in.
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Your password is changed").waitFor();
  const oldRefresh = await call("POST", "/v1/token", { form: { grant_type: "refresh_token", refresh_token: passwordAlone.body.refresh_token } });
  check(oldRefresh.status === 400, `a session from before the change answered ${oldRefresh.status}`);
  await signIn(NEW_PASSWORD);
  await page.getByText(`Signed in as ${USER}`).waitFor();
} catch (error) {
  fail(`the account page run stopped: ${error.message}`);
  await shot("failure").catch(() => {});
}
await browser.close();

if (failures.length > 0) {
  console.error(failures.map((f) => `account-check: ${f}`).join("\n"));
  process.exit(1);
}
console.log("account-check: sessions, two-step sign-in (oathtool's codes) and the password work on the account page in Chromium");
