// Account recovery end to end in headless Chromium, over a real SMTP server
// nobody here wrote (aiosmtpd, which recovery-check.sh runs; its Maildir is
// read here): a user registers with an address, follows the mailed link and
// confirms it; forgets the password, asks on the sign-in page ("Forgot your
// password?"), follows the reset link, is refused a weak password, sets a
// new one, signs in with it on the account page and changes the address
// there. An unknown name gets
// the same answer and no mail; a used link is refused. Fails on any console
// error, unexpected refusal or request to another host. Writes the
// screenshots.
//   node recovery-check.mjs AUTH_URL MAILDIR SHOTS_DIR
import { readFileSync, readdirSync } from "node:fs";
import { launchChromium } from "./chromium.mjs";

const [auth, maildir, shots] = process.argv.slice(2);
const authOrigin = new URL(auth).origin;
const USER = "rita";
const EMAIL = "rita@example.com";
const PASSWORD = "recovery-check-passphrase";
const NEW_PASSWORD = "recovery-check-new-passphrase";
const failures = [];
const fail = (message) => failures.push(message);
const check = (condition, message) => { if (!condition) fail(message); };

/** The messages in the Maildir, as a mail client reads them. */
function messages() {
  const folder = `${maildir}/new`;
  let names;
  try { names = readdirSync(folder); } catch { return []; }
  return names.sort().map((name) => {
    const raw = readFileSync(`${folder}/${name}`, "utf8").replace(/\r\n/g, "\n");
    const split = raw.indexOf("\n\n");
    const headers = raw.slice(0, split);
    let body = raw.slice(split + 2);
    if (/^Content-Transfer-Encoding: quoted-printable$/mi.test(headers)) {
      body = decodeURIComponent(body.replace(/=\n/g, "")
        .replace(/%/g, "%25").replace(/=([0-9A-F]{2})/g, "%$1"));
    }
    const header = (name) => (headers.match(new RegExp(`^${name}: (.*)$`, "mi")) ?? [])[1] ?? "";
    return { to: header("X-RcptTo") || header("To"), subject: header("Subject"), headers, body };
  });
}

/** The `count`th message to `to` (waits up to ten seconds). */
async function mailTo(to, count) {
  for (let i = 0; i < 100; i++) {
    const theirs = messages().filter((m) => m.to.toLowerCase().includes(to));
    if (theirs.length >= count) return theirs[count - 1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail number ${count} to ${to}`);
}

const linkIn = (mail, path) => {
  const link = mail.body.match(new RegExp(`https?://\\S*${path}\\?token=\\S+`));
  if (!link) throw new Error(`no link to ${path} in:\n${mail.body}`);
  return link[0];
};

async function call(method, path, json) {
  const response = await fetch(`${auth}${path}`, {
    method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(json),
  });
  return { status: response.status, body: await response.text() };
}

const registered = await call("POST", "/v1/users", { username: USER, password: PASSWORD, email: EMAIL });
check(registered.status === 201, `registering ${USER} answered ${registered.status}: ${registered.body}`);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", timezoneId: "UTC" });
const page = await context.newPage();
// The refusals this walk asks for on purpose.
const expected = new Set();
page.on("console", (m) => {
  if (m.type() === "error" && !/status of (401|422|400)/.test(m.text())) fail(`console error: ${m.text()}`);
});
page.on("pageerror", (e) => fail(`script error: ${e.message}`));
page.on("request", (r) => { if (!r.url().startsWith(authOrigin) && !r.url().startsWith("data:")) fail(`${r.url()} is not on ${authOrigin}`); });
page.on("response", (r) => {
  const key = `${r.status()} ${r.url().split("?")[0]}`;
  if (r.status() >= 400 && !expected.has(key)) fail(`${r.request().method()} ${r.url().split("?")[0]} answered ${r.status()}`);
});
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

try {
  // The address: the mailed link opens a page that asks before it confirms.
  const verification = await mailTo(EMAIL, 1);
  check(verification.subject === "Confirm your email address", `subject: ${verification.subject}`);
  check(/^From: Accounts <accounts@example.com>$/m.test(verification.headers), "the From of AUTH__MAIL__FROM");
  check(verification.body.includes("If you did not give this address, ignore this mail"), verification.body);
  const verifyLink = linkIn(verification, "/v1/email/verify");
  check(verifyLink.startsWith(`${auth}/v1/email/verify?token=`), `the link is on the public URL: ${verifyLink}`);
  await page.goto(verifyLink);
  await page.getByRole("heading", { name: "Confirm your email address" }).waitFor();
  await page.getByText(`Confirm ${EMAIL} as the address of ${USER}?`).waitFor();
  await shot("recovery-verify");
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("heading", { name: "Address confirmed" }).waitFor();

  // Forgotten: asked for on the sign-in page, by address; an unknown name
  // is answered the same.
  await page.goto(`${auth}/account/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  await shot("recovery-request");
  await page.getByLabel("Username or email").fill("nobody-here");
  await page.getByRole("button", { name: "Send the link" }).click();
  const unknownAnswer = await page.locator("main").innerText();
  await page.goBack();
  await page.getByLabel("Username or email").fill(EMAIL.toUpperCase());
  await page.getByRole("button", { name: "Send the link" }).click();
  await page.getByRole("heading", { name: "Check your mail" }).waitFor();
  check(await page.locator("main").innerText() === unknownAnswer, "a known and an unknown account are answered alike");

  const reset = await mailTo(EMAIL, 2);
  check(reset.subject === "Reset your password", `subject: ${reset.subject}`);
  check(reset.body.includes("If it was not you, ignore this mail"), reset.body);
  const resetLink = linkIn(reset, "/v1/password-reset/new");
  await page.goto(resetLink);
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await shot("recovery-reset");
  expected.add(`422 ${auth}/v1/password-reset/new`);
  await page.getByLabel("New password").fill("password123");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await page.getByText("The new password is too common; choose another.").waitFor();
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await page.getByRole("heading", { name: "Password changed" }).waitFor();
  await shot("recovery-done");

  // Signed in with the new password, on the account page.
  await page.goto(`${auth}/account/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByLabel("Password").press("Enter");
  await page.getByText(`Signed in as ${USER}`).waitFor();
  await page.getByText(`${EMAIL}: confirmed.`).waitFor();
  await shot("account-email");

  // A new address, set on the account page: unconfirmed until its link.
  await page.getByLabel("New address").fill("rita@example.org");
  await page.getByRole("button", { name: "Send a confirmation link" }).click();
  await page.getByText("A confirmation link is on its way to rita@example.org.").waitFor();
  await page.getByText("rita@example.org: not confirmed yet").waitFor();
  const changed = await mailTo("rita@example.org", 1);
  check(changed.subject === "Confirm your email address", `subject: ${changed.subject}`);

  // The link worked once.
  expected.add(`400 ${auth}/v1/password-reset/new`);
  await page.goto(resetLink);
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();

  await new Promise((resolve) => setTimeout(resolve, 500));
  const stray = messages().filter((m) => !/rita@example\.(com|org)/.test(m.to.toLowerCase()));
  check(stray.length === 0, `mail to others: ${stray.map((m) => m.to)}`);
  check(messages().length === 3, `${messages().length} mails, not 3`);
} catch (error) {
  fail(`${error.message}`);
  await shot("recovery-failure").catch(() => {});
}
await browser.close();

if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("recovery: address verified and password reset through mailed links, in Chromium");
