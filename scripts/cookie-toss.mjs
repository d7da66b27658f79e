// Cookie tossing in headless Chromium, as the outside attack did it: a page
// on a sibling subdomain (blog.site.localhost) sets a refresh cookie of the
// attacker's for the parent domain; the victim then signs in on
// auth.site.localhost, whose pages' refresh and logout carry both cookies,
// the attacker's first. auth-service must refuse both requests and rotate
// or end no session: before the fix the victim's page renewed into the
// attacker's account and the victim's logout ended the attacker's session.
// Chromium resolves *.localhost to this machine by itself.
// DIRECT_URL is the same service by address, for the calls from outside
// the browser (Node does not resolve *.localhost).
//   node cookie-toss.mjs AUTH_URL SIBLING_URL DIRECT_URL
import { launchChromium } from "./chromium.mjs";

const [auth, sibling, direct] = process.argv.slice(2);
const PASSWORD = "cookie-toss-passphrase";
const failures = [];
const check = (condition, message) => { if (!condition) failures.push(message); };

// The attacker's own session, from outside any browser.
async function call(path, form) {
  const response = await fetch(`${direct}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(form),
  });
  return response;
}
for (const username of ["vera", "mallory"]) {
  const registered = await call("/v1/users", { username, password: PASSWORD });
  check(registered.status === 201, `registering ${username} answered ${registered.status}`);
}
const login = await call("/v1/token", { grant_type: "password", username: "mallory", password: PASSWORD });
const attackerToken = login.headers.getSetCookie()
  .map((c) => c.split(";")[0]).find((c) => c.startsWith("refresh_token="))?.slice("refresh_token=".length);
check(attackerToken, "mallory's login set no refresh cookie");

const browser = await launchChromium();
const context = await browser.newContext();
const page = await context.newPage();
page.on("pageerror", (e) => failures.push(`script error: ${e.message}`));

// The toss, from the sibling's page.
const domain = new URL(auth).hostname.split(".").slice(1).join(".");
await page.goto(`${sibling}/`);
await page.evaluate(({ token, domain }) => {
  for (const path of ["/v1/token", "/v1/logout"]) {
    document.cookie = `refresh_token=${token}; Domain=${domain}; Path=${path}; SameSite=Lax`;
  }
}, { token: attackerToken, domain });

// The victim signs in on a page of auth-service, as the console does.
await page.goto(`${auth}/admin/`);
const fromPage = (path, body) => page.evaluate(async ({ path, body }) => {
  const init = { method: "POST", credentials: "same-origin" };
  if (body) { init.headers = { "Content-Type": "application/x-www-form-urlencoded" }; init.body = body; }
  const response = await fetch(path, init);
  return { status: response.status, body: await response.text() };
}, { path, body });
const signedIn = await fromPage("/v1/token", `grant_type=password&username=vera&password=${PASSWORD}`);
check(signedIn.status === 200, `vera's sign-in answered ${signedIn.status} ${signedIn.body}`);
const sent = (await context.cookies(`${auth}/v1/token`)).filter((c) => c.name === "refresh_token");
check(sent.length === 2, `the browser holds ${sent.length} refresh cookies for /v1/token, not the two of a toss`);

// Her page renews and logs out: both carry the two cookies, both refused.
const renewed = await fromPage("/v1/token", "grant_type=refresh_token");
check(renewed.status === 400 && renewed.body.includes("more than one refresh cookie"),
  `a renewal carrying a tossed cookie answered ${renewed.status} ${renewed.body}`);
check(!renewed.body.includes("access_token"), "a renewal with a tossed cookie issued a token");
const loggedOut = await fromPage("/v1/logout");
check(loggedOut.status === 400, `a logout carrying a tossed cookie answered ${loggedOut.status} ${loggedOut.body}`);

// Nothing was rotated or ended: mallory's session renews (outside the
// browser), and so does vera's once the tossed cookies are gone.
const attackerRenews = await call("/v1/token", { grant_type: "refresh_token", refresh_token: attackerToken });
check(attackerRenews.status === 200, `mallory's session answered ${attackerRenews.status}: it was rotated or ended`);
const ours = (await context.cookies()).filter((c) => !(c.name === "refresh_token" && c.domain.startsWith(".")));
await context.clearCookies();
await context.addCookies(ours);
const victimRenews = await fromPage("/v1/token", "grant_type=refresh_token");
const claims = victimRenews.status === 200
  ? JSON.parse(Buffer.from(JSON.parse(victimRenews.body).access_token.split(".")[1], "base64url"))
  : {};
check(claims.username === "vera", `vera's own cookie renewed as ${victimRenews.status} ${claims.username}`);

await browser.close();
if (failures.length) {
  console.error(failures.map((f) => `cookie-toss: ${f}`).join("\n"));
  process.exit(1);
}
console.log("cookie-toss: a tossed refresh cookie is refused in Chromium and rotates or ends nothing");
