// What the service's own pages (the admin console, the account page) share:
// HTTP to the service, a few DOM helpers, and signing in as a public client of it with the code
// flow and PKCE on the sign-in page, so that no page but that one sees a
// password. Tokens live in this module's memory only: never in web storage or
// in a cookie a page can read. Only the PKCE verifier and state wait in
// sessionStorage across the redirect (removed on return), and a mark that a
// sign-out is to be reported. While the browser session lasts, a reload signs
// in again silently (prompt=none).

export class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** What a refusal says, from a problem-details or OAuth error body. */
export async function reason(response) {
  try {
    const body = await response.json();
    const field = body.errors && Object.values(body.errors).flat()[0];
    return field || body.detail || body.error_description || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

export async function send(path, options) {
  try {
    return await fetch(path, { credentials: "same-origin", cache: "no-store", ...options });
  } catch {
    throw new Refused(0, "auth-service cannot be reached. Check the connection and try again.");
  }
}

/** The token endpoint (RFC 6749): form-encoded in, tokens or an error out. */
async function tokenRequest(fields) {
  const response = await send("/v1/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { /* not JSON */ }
    const refusal = new Refused(response.status, body.error_description || `HTTP ${response.status}`);
    refusal.code = body.error;
    throw refusal;
  }
  return response.json();
}

// ---------------------------------------------------------------- DOM

export function show(node, visible) {
  node.hidden = !visible;
}

/** The page's status line (an element with id `notice`). */
export function notify(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  show(notice, Boolean(text));
}

/** The page's alert (an element with id `problem`). */
export function complain(text) {
  const problem = document.getElementById("problem");
  problem.textContent = text;
  show(problem, Boolean(text));
}

/**
 * Runs an action, showing its failure in the alert (a 401 ends the session,
 * which says so itself, unless it only asks for a more recent sign-in); the
 * action's result, else undefined.
 */
export async function attempt(action) {
  complain("");
  try {
    return await action();
  } catch (error) {
    if (error.status !== 401 || error.stepUp) complain(error.message);
    return undefined;
  }
}

/** The page signed out: its `login` section shown, `workspace` and `account` not, `message` in the alert. */
export function showSignedOut(message) {
  show(document.getElementById("workspace"), false);
  show(document.getElementById("account"), false);
  show(document.getElementById("login"), true);
  notify("");
  complain(message ?? "");
  document.getElementById("sign-in").focus();
}

/** The page signed in as `username`. */
export function showSignedIn(username) {
  document.getElementById("signed-in-as").textContent = `Signed in as ${username}`;
  show(document.getElementById("login"), false);
  show(document.getElementById("account"), true);
  show(document.getElementById("workspace"), true);
}

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function cell(label, content) {
  const td = element("td");
  td.dataset.label = label;
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "—";
  return td;
}

export function when(timestamp) {
  if (!timestamp) return "never";
  const date = new Date(timestamp);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeElement(timestamp) {
  if (!timestamp) return "never";
  const time = element("time", when(timestamp));
  time.dateTime = timestamp;
  return time;
}

// ---------------------------------------------------------------- signing in

/** A JWT's claims, unverified: only shown (the token came straight from the token endpoint). */
export function claimsOf(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const randomText = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** This page's address: the client's registered redirect URI, `{public URL}/{page}/`. */
const here = () => `${location.origin}${location.pathname}`;

/** A page signed in as the public client `clientId`. */
export class PageSession {
  /** `onEnded(message)` is called when the session ends under the page. */
  constructor(clientId, scope, onEnded) {
    this.clientId = clientId;
    this.scope = scope;
    this.onEnded = onEnded;
    this.tokens = null;
    this.pendingKey = `${clientId}.pending-sign-in`;
    this.signedOutKey = `${clientId}.signed-out`;
  }

  get signedIn() {
    return this.tokens !== null;
  }

  /** The signed-in user's name. */
  get username() {
    return claimsOf(this.tokens?.id_token)?.preferred_username;
  }

  /** The access token's claims. */
  get claims() {
    return claimsOf(this.tokens?.access_token) ?? {};
  }

  /** The granted scopes. */
  get scopes() {
    return (this.tokens?.scope ?? "").split(" ");
  }

  remember(tokens) {
    this.tokens = { ...tokens, id_token: tokens.id_token ?? this.tokens?.id_token };
  }

  /**
   * On load: finishes a sign-in the address answers, reports a sign-out, or
   * tries a silent sign-in. `{signedIn: true}`, or `{message}` for the
   * signed-out page (`notice` for a sign-out).
   */
  async start() {
    const answer = new URLSearchParams(location.search);
    if (answer.has("code") || answer.has("error")) return this.finish(answer);
    if (sessionStorage.getItem(this.signedOutKey)) {
      sessionStorage.removeItem(this.signedOutKey);
      history.replaceState(null, "", here());
      return { notice: "You are signed out." };
    }
    await this.signIn("none");
    return { redirecting: true };
  }

  /** Off to the sign-in page (RFC 6749 4.1.1 with PKCE S256, RFC 7636). */
  async signIn(prompt) {
    if (!crypto.subtle) {
      throw new Refused(0, "This page signs in over HTTPS (or on localhost) only: this browser offers no Web Crypto here.");
    }
    const verifier = randomText();
    const state = randomText();
    const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    sessionStorage.setItem(this.pendingKey, JSON.stringify({ verifier, state }));
    const params = new URLSearchParams({
      response_type: "code",
      client_id: this.clientId,
      redirect_uri: here(),
      scope: this.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    if (prompt) params.set("prompt", prompt);
    location.assign(new URL(`../v1/authorize?${params}`, location.href));
  }

  /** The sign-in page's answer in this page's address: tokens, or why not. */
  async finish(answer) {
    const pending = JSON.parse(sessionStorage.getItem(this.pendingKey) ?? "null");
    sessionStorage.removeItem(this.pendingKey);
    // The code leaves the address bar and the history.
    history.replaceState(null, "", here());
    if (!pending || answer.get("state") !== pending.state) {
      return { message: "That sign-in did not start on this page. Sign in again." };
    }
    if (answer.has("error")) {
      // login_required: the silent sign-in found no browser session.
      if (answer.get("error") === "login_required") return { message: "" };
      return { message: `Signing in failed: ${answer.get("error_description") ?? answer.get("error")}.` };
    }
    try {
      this.remember(await tokenRequest({
        grant_type: "authorization_code",
        code: answer.get("code"),
        code_verifier: pending.verifier,
        client_id: this.clientId,
        redirect_uri: here(),
      }));
    } catch (error) {
      return { message: `Signing in failed: ${error.message}.` };
    }
    return { signedIn: true };
  }

  /**
   * Wires the page's `sign-in` and `sign-out` buttons, then starts: `enter()`
   * once signed in, else `signedOut(message)` with any notice.
   */
  async run(enter, signedOut) {
    const signIn = document.getElementById("sign-in");
    signIn.addEventListener("click", () =>
      this.signIn(signIn.dataset.prompt).catch((error) => complain(error.message)));
    document.getElementById("sign-out").addEventListener("click", () => this.signOut());
    const started = await this.start().catch((error) => ({ message: error.message }));
    if (started.signedIn) {
      await enter();
    } else if (!started.redirecting) {
      signedOut(started.message);
      if (started.notice) notify(started.notice);
    }
  }

  /** A new access token from the refresh token (or the cookie); false when the session is over. */
  async renew() {
    const fields = { grant_type: "refresh_token", client_id: this.clientId };
    if (this.tokens?.refresh_token) fields.refresh_token = this.tokens.refresh_token;
    try {
      this.remember(await tokenRequest(fields));
      return true;
    } catch {
      return false;
    }
  }

  /** A call with the access token; renewed once when it has expired. */
  async api(method, path, body) {
    const call = () => send(path, {
      method,
      headers: {
        Authorization: `Bearer ${this.tokens?.access_token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let response = await call();
    if (response.status === 401 && (await this.renew())) response = await call();
    if (response.status === 401 && /insufficient_user_authentication/.test(response.headers.get("WWW-Authenticate"))) {
      // RFC 9470: the session stands, but this asks for a more recent sign-in.
      const refusal = new Refused(401, "This needs a recent sign-in: sign out, sign in again, and try once more.");
      refusal.stepUp = true;
      throw refusal;
    }
    if (response.status === 401) {
      this.tokens = null;
      this.onEnded("Your session has ended. Sign in again.");
      throw new Refused(401, "Your session has ended.");
    }
    if (!response.ok) throw new Refused(response.status, await reason(response));
    return response.status === 204 ? null : response.json();
  }

  /** Ends the refresh token (in the body, or the cookie) at the server. */
  async spendRefreshToken() {
    const refresh = this.tokens?.refresh_token;
    const body = refresh ? JSON.stringify({ refresh_token: refresh }) : undefined;
    await send("/v1/logout", {
      method: "POST",
      headers: body ? { "Content-Type": "application/json" } : {},
      body,
    }).catch(() => {});
  }

  /** Signs out: the refresh token, then the browser session at end-session (RP-Initiated Logout), which comes back here. */
  async signOut() {
    await this.spendRefreshToken();
    const params = new URLSearchParams({ client_id: this.clientId, post_logout_redirect_uri: here() });
    if (this.tokens?.id_token) params.set("id_token_hint", this.tokens.id_token);
    sessionStorage.setItem(this.signedOutKey, "1");
    this.tokens = null;
    location.assign(new URL(`../v1/end-session?${params}`, location.href));
  }
}
