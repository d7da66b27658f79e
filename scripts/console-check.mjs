// The admin console end to end in headless Chromium, with the refresh
// cookie on: sign in through the hosted sign-in page (the console is a
// public client of its own server; keyboard only), find a user, revoke their sessions,
// disable them, edit their scopes, read the events, create a client and use
// its secret, delete it, register an app and edit its redirect URIs, sign
// out (the browser session ends); each effect checked through the API. Fails on any
// console error, failed request, unexpected 4xx/5xx, or request to another
// host. Then, from pages on two other origins: the refresh cookie's CSRF
// defence, and CORS (the allowed origin reads items-service with a token,
// the other is refused by the browser). Writes the screenshots.
//   node console-check.mjs AUTH_URL ITEMS_URL ALLOWED_ORIGIN OTHER_ORIGIN ADMIN PASSWORD SHOTS_DIR
import { launchChromium } from "./chromium.mjs";

const [auth, items, allowedOrigin, otherOrigin, admin, adminPassword, shots] = process.argv.slice(2);
const authOrigin = new URL(auth).origin;
const USER_PASSWORD = "console-check-passphrase";
const failures = [];
const fail = (message) => failures.push(message);
const check = (condition, message) => { if (!condition) fail(message); };

// ------------------------------------------------------------ the API, from here

async function call(method, path, { token, json, form, basic } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (basic) headers.Authorization = `Basic ${Buffer.from(basic.join(":")).toString("base64")}`;
  let body;
  if (json) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form) { headers["Content-Type"] = "application/x-www-form-urlencoded"; body = new URLSearchParams(form); }
  const response = await fetch(`${auth}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const passwordGrant = (username, password) =>
  call("POST", "/v1/token", { form: { grant_type: "password", username, password } });

for (const username of ["dana", "daniel", "erin"]) {
  const registered = await call("POST", "/v1/users", { json: { username, password: USER_PASSWORD } });
  check(registered.status === 201, `registering ${username} answered ${registered.status}`);
}
const danaLogin = await passwordGrant("dana", USER_PASSWORD);
check(danaLogin.status === 200, `dana's login answered ${danaLogin.status}`);
const danaToken = danaLogin.body.access_token;
const adminToken = (await passwordGrant(admin, adminPassword)).body.access_token;

// ------------------------------------------------------------ the browser

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", timezoneId: "UTC" });
const page = await context.newPage();
// The refusals the run provokes: a wrong password on the sign-in page, to
// see its message (Chromium may log it to the console too), and the reset
// of a second factor dana does not have.
const expected = { response: 1, consoleLine: 2, noFactor: 1 };
page.on("console", (m) => {
  if (m.type() !== "error") return;
  if (/status of (401|404)/.test(m.text()) && expected.consoleLine > 0) { expected.consoleLine -= 1; return; }
  fail(`console error: ${m.text()}`);
});
page.on("pageerror", (e) => fail(`script error: ${e.message}`));
// A request the page abandons by navigating (the silent sign-in on load,
// signing in and out go to the sign-in page) is aborted, not failed.
page.on("requestfailed", (r) => {
  if (r.failure()?.errorText !== "net::ERR_ABORTED") fail(`${r.url()} failed: ${r.failure()?.errorText}`);
});
page.on("request", (r) => { if (!r.url().startsWith(authOrigin)) fail(`${r.url()} is not on ${authOrigin}`); });
page.on("response", (r) => {
  if (r.status() < 400) return;
  if (r.url() === `${auth}/v1/authorize` && r.status() === 401 && expected.response > 0) { expected.response -= 1; return; }
  if (r.url().endsWith("/mfa") && r.status() === 404 && expected.noFactor > 0) { expected.noFactor -= 1; return; }
  fail(`${r.request().method()} ${r.url()} answered ${r.status()}`);
});

const shot = (name) => page.screenshot({ path: `${shots}/console-${name}.png`, fullPage: true });
const visibleText = (selector) => page.locator(selector).innerText();
const confirm = async (verb) => {
  await page.getByRole("dialog").getByRole("button", { name: verb }).click();
};

try {
  // A first visit tries a silent sign-in (prompt=none), finds no browser
  // session, and offers the sign-in button.
  await page.goto(`${auth}/admin`);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  check(page.url() === `${auth}/admin/`, `/admin led to ${page.url()}`);
  const csp = (await (await page.request.get(`${auth}/admin/`)).headers())["content-security-policy"] ?? "";
  check(csp.includes("script-src 'self'") && !csp.includes("unsafe"), `the page's CSP is ${csp}`);
  check((await page.getByLabel("Password").count()) === 0, "the console has a password field");
  await shot("login");

  // The sign-in page, not the console, takes the password. A wrong one:
  // the page says so and keeps the username.
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname.endsWith("/v1/authorize"));
  await page.getByLabel("Username").fill(admin);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong" }).waitFor();

  // The password with the keyboard alone: the page focused it.
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("name"));
  check(focused === "password", `after a wrong password the focus is on ${focused}`);
  await page.keyboard.type(adminPassword);
  await page.keyboard.press("Enter");
  await page.getByText(`Signed in as ${admin}`).waitFor();
  check(page.url() === `${auth}/admin/`, `the code stayed in the address: ${page.url()}`);
  await page.locator("#user-rows tr").first().waitFor();
  const storage = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  check(storage[0] === 0 && storage[1] === 0 && storage[2] === "", `the page stored something: ${storage}`);
  // All cookies: Playwright's URL filter leaves Secure ones out for http.
  const refresh = (await context.cookies()).filter((c) => c.name === "refresh_token");
  check(refresh.length === 2 && refresh.every((c) => c.httpOnly && c.secure && c.sameSite === "Strict"),
    `the refresh cookie is ${JSON.stringify(refresh)}`);
  await shot("users");

  // Find a user: prefix search, then the empty state.
  await page.getByLabel("Search users by name").fill("dan");
  await page.getByRole("button", { name: "Search" }).click();
  // The unfiltered rows stay until the answer comes (scripted, erin among them).
  await page.locator("#user-rows tr").filter({ hasNotText: "dan" }).first().waitFor({ state: "detached" });
  await page.locator("#user-rows tr").nth(1).waitFor();
  check((await page.locator("#user-rows tr").count()) === 2, "`dan` finds dana and daniel");
  await page.getByLabel("Search users by name").fill("zz");
  await page.getByLabel("Search users by name").press("Enter");
  await page.getByText("No user's name starts with “zz”.").waitFor();
  await page.getByLabel("Search users by name").fill("dana");
  await page.getByLabel("Search users by name").press("Enter");
  await page.getByRole("button", { name: "dana", exact: true }).click();
  await page.locator("#user-sessions li").first().waitFor();
  await shot("user");

  // Revoke dana's sessions: her access token is refused at auth-service.
  check((await call("GET", "/v1/me", { token: danaToken })).status === 200, "dana's token works before");
  await page.getByRole("button", { name: "Revoke all sessions" }).click();
  await confirm("Revoke sessions");
  await page.getByText("Every session of dana is revoked.").waitFor();
  check((await call("GET", "/v1/me", { token: danaToken })).status === 401, "dana's revoked token still works");

  // Reset her second factor: she has none, and the console says so.
  await page.getByRole("button", { name: "Reset two-step sign-in" }).click();
  await confirm("Reset two-step sign-in");
  await page.getByText("dana has no two-step sign-in to reset.").waitFor();

  // Disable her: her next login is refused.
  await page.getByRole("button", { name: "Disable user" }).click();
  await confirm("Disable user");
  await page.getByText("dana is disabled.").waitFor();
  const refused = await passwordGrant("dana", USER_PASSWORD);
  check(refused.status === 400 && /disabled/.test(refused.body?.error_description),
    `dana's login after disabling answered ${refused.status} ${JSON.stringify(refused.body)}`);

  // Edit her scopes.
  const danaId = (await visibleText("#user-id")).trim();
  await page.getByLabel("Scopes (space-separated)", { exact: true }).fill("items:read");
  await page.getByRole("button", { name: "Save scopes" }).click();
  await page.getByText("dana's scopes are now: items:read.").waitFor();
  const seen = await call("GET", `/v1/admin/users/${danaId}`, { token: adminToken });
  check(JSON.stringify(seen.body?.scopes) === '["items:read"]', `dana's scopes are ${JSON.stringify(seen.body?.scopes)}`);

  // Her events in the audit log, filtered.
  await page.getByRole("button", { name: "Audit events of this user" }).click();
  await page.locator("#audit-rows tr").first().waitFor();
  await page.getByLabel("Event").selectOption("user_disabled");
  await page.getByRole("button", { name: "Filter" }).click();
  // The unfiltered rows stay until the answer comes, one of them user_disabled too.
  await page.locator("#audit-rows tr").filter({ hasNotText: "user_disabled" }).first().waitFor({ state: "detached" });
  await page.locator("#audit-rows tr").filter({ hasText: "user_disabled" }).waitFor();
  check((await page.locator("#audit-rows tr").count()) === 1, "one user_disabled event for dana");
  const disabledRow = await page.locator("#audit-rows tr").first().innerText();
  check(disabledRow.includes("dana") && disabledRow.includes(admin), `the event names ${disabledRow}`);
  await page.getByLabel("Event").selectOption("");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.locator("#audit-rows tr").filter({ hasText: "sessions_revoked" }).waitFor();
  await shot("audit");

  // A service client: its secret, shown once, gets a client-credentials token.
  await page.getByRole("button", { name: "Clients", exact: true }).click();
  const consoleRow = page.locator("#client-rows tr").filter({ hasText: "Built in: this console" });
  await consoleRow.waitFor();
  check((await consoleRow.getByRole("button").count()) === 0, "the console's own client can be edited or deleted");
  await page.getByLabel("Client name").fill("nightly reports");
  await page.locator("#client-form").getByLabel("Client scopes (space-separated)").fill("items:read");
  await page.getByRole("button", { name: "Create client" }).click();
  await page.getByText("Client created: copy its secret now").waitFor();
  await page.locator("#client-rows tr").first().waitFor();
  const clientId = (await visibleText("#new-client-id")).trim();
  const secret = (await visibleText("#new-client-secret")).trim();
  await shot("client-secret");
  const grant = { grant_type: "client_credentials" };
  const issued = await call("POST", "/v1/token", { form: grant, basic: [clientId, secret] });
  check(issued.status === 200 && issued.body.access_token, `the new client's token answered ${issued.status}`);
  await page.getByRole("button", { name: "I have stored it" }).click();
  check(!(await page.locator("#new-secret").isVisible()), "the secret stays on screen");
  await page.getByRole("button", { name: "Delete client nightly reports" }).click();
  await confirm("Delete client");
  await page.getByText("The client nightly reports is deleted.").waitFor();
  const afterDelete = await call("POST", "/v1/token", { form: grant, basic: [clientId, secret] });
  check(afterDelete.status === 401, `the deleted client's secret answered ${afterDelete.status}`);

  // An app that signs users in: public, its redirect URIs, then edited.
  await page.getByLabel("Client name").fill("Notes");
  await page.getByLabel("Kind").selectOption("public");
  await page.locator("#client-form").getByLabel("Redirect URIs (one per line)", { exact: true }).fill("https://notes.example.com/callback");
  await page.getByLabel("ID token signature").selectOption("ES256");
  await shot("client-app");
  await page.getByRole("button", { name: "Create client" }).click();
  await page.getByText("The client Notes is registered").waitFor();
  const notes = (await call("GET", "/v1/admin/clients", { token: adminToken })).body.items.find((c) => c.name === "Notes");
  check(notes?.public === true && notes.grant_types.join() === "authorization_code,refresh_token" &&
    notes.redirect_uris.join() === "https://notes.example.com/callback", `the app registered as ${JSON.stringify(notes)}`);
  await page.getByRole("button", { name: "Edit client Notes" }).click();
  await page.locator("#client-edit").getByLabel("Redirect URIs (one per line)", { exact: true })
    .fill("https://notes.example.com/callback\nhttp://127.0.0.1/callback");
  await shot("client-edit");
  await page.getByRole("button", { name: "Save client" }).click();
  await page.getByText("The client Notes is saved.").waitFor();
  const edited = (await call("GET", "/v1/admin/clients", { token: adminToken })).body.items.find((c) => c.name === "Notes");
  check(edited?.redirect_uris.length === 2, `the edited app has ${JSON.stringify(edited?.redirect_uris)}`);

  // A narrow window: rows become cards, nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Users", exact: true }).click();
  await page.locator("#user-rows tr").first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the narrow page scrolls sideways by ${overflow}px`);
  await shot("narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // The refresh cookie renews the token from this page.
  const renewed = await page.evaluate(async () => {
    const r = await fetch("/v1/token", {
      method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", client_id: "console" }),
    });
    const body = await r.json();
    return [r.status, typeof body.access_token, "refresh_token" in body];
  });
  check(renewed[0] === 200 && renewed[1] === "string" && renewed[2] === false, `a cookie refresh answered ${renewed}`);
} catch (error) {
  fail(`the console run stopped: ${error.message}`);
  await shot("failure").catch(() => {});
}

// ------------------------------------------------------------ other origins

const elsewhere = await context.newPage();
async function from(origin, script, argument) {
  await elsewhere.goto(`${origin}/`);
  return elsewhere.evaluate(script, argument);
}
try {
  // CSRF, the classic way: a page on another origin of the same site
  // (another port here, so SameSite=Strict lets the browser send the cookie)
  // posts a form to the token endpoint. The server refuses; only a request
  // carrying the cookie is refused this way (without one, the grant would be
  // 400 for a missing refresh_token).
  await elsewhere.goto(`${otherOrigin}/`);
  const answered = elsewhere.waitForResponse((r) => r.url() === `${auth}/v1/token`);
  await elsewhere.evaluate((url) => {
    const form = Object.assign(document.createElement("form"), { method: "POST", action: url });
    form.append(Object.assign(document.createElement("input"), { name: "grant_type", value: "refresh_token" }));
    document.body.append(form);
    form.submit();
  }, `${auth}/v1/token`);
  const csrf = await answered;
  await elsewhere.waitForLoadState();
  const refusal = await elsewhere.locator("body").innerText();
  check(csrf.status() === 403 && refusal.includes("refresh cookie"),
    `a cross-origin form posting the cookie answered ${csrf.status()} ${refusal}`);

  // The allowed origin refreshes with the cookie (CORS with credentials; the
  // console's token is for the admin API only) and reads items-service with
  // a token that may.
  const allowed = await from(allowedOrigin, async ([authUrl, itemsUrl, token]) => {
    const tokenAnswer = await fetch(`${authUrl}/v1/token`, {
      method: "POST", credentials: "include",
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: "console" }),
    });
    const refreshed = typeof (await tokenAnswer.json()).access_token;
    const listed = await fetch(`${itemsUrl}/v1/items`, { headers: { Authorization: `Bearer ${token}` } });
    return [tokenAnswer.status, refreshed, listed.status, Array.isArray((await listed.json()).items)];
  }, [auth, items, adminToken]);
  check(allowed.join() === "200,string,200,true", `from the allowed origin: ${allowed}`);

  // The other origin is not allowed: the browser keeps the answer from it.
  const blocked = await from(otherOrigin, async ([itemsUrl, token]) => {
    try {
      await fetch(`${itemsUrl}/v1/items`, { headers: { Authorization: `Bearer ${token}` } });
      return "read";
    } catch (error) {
      return error.name;
    }
  }, [items, adminToken]);
  check(blocked === "TypeError", `from the other origin, items-service was ${blocked}`);
} catch (error) {
  fail(`the cross-origin run stopped: ${error.message}`);
}

// Sign out: the session ends at the server, the cookie is gone, and so is
// the browser session (the next visit is not signed in silently).
try {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You are signed out.").waitFor();
  const left = (await context.cookies()).filter((c) => c.name === "refresh_token");
  check(left.length === 0, `cookies left after signing out: ${left.length}`);
  await page.goto(`${auth}/admin/`);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  check(!(await page.getByText("Signed in as").isVisible()), "a visit after signing out is signed in");
} catch (error) {
  fail(`signing out stopped: ${error.message}`);
}
await browser.close();

if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("console-check: the console, the refresh cookie and CORS work in Chromium");
