// The code flow with PKCE and a nonce through openid-client (a public
// client), with the sign-in page driven in Chromium: discovery, the
// authorization URL, the page's labelled fields, the callback (RFC 9207
// `iss` checked by the library), the code exchange, the ID token, userinfo.
//
//   node flow.mjs ISSUER CLIENT_ID REDIRECT_URI USERNAME PASSWORD
import * as client from "openid-client";
import { launchChromium } from "./chromium.mjs";

const [issuer, clientId, redirectUri, username, password] = process.argv.slice(2);
const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
});
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid profile items:read",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
});

const browser = await launchChromium();
let callback;
try {
    const page = await browser.newPage();
    // The app's callback is not served: the URL is all we need of it.
    await page.route(`${redirectUri}**`, (route) => {
        callback = route.request().url();
        return route.fulfill({ body: "back at the app" });
    });
    await page.goto(url.href);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${redirectUri}**`);
} finally {
    await browser.close();
}
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
});
const claims = tokens.claims();
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
if (info.preferred_username !== username) throw new Error(`userinfo: ${JSON.stringify(info)}`);
console.log(`openid-client: signed in ${info.preferred_username} (sub ${claims.sub}), ` +
    `nonce checked, scope ${tokens.scope}`);
