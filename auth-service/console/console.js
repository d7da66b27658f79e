// The admin console: a page over auth-service's own admin API, same origin.
// It signs in as the built-in public client `console`, with the code flow and
// PKCE on the service's sign-in page: no page of ours but that one sees a
// password. The access token (and, unless the refresh cookie is on, the
// refresh token) lives in this module's memory only: never in web storage or
// in a cookie the page can read. Only the PKCE verifier and state wait in
// sessionStorage across the redirect, and are removed on return. A reload
// signs in again silently (prompt=none) while the browser session lasts.
// Every value from the server is written with textContent, never parsed as
// HTML.

const $ = (id) => document.getElementById(id);

/** The signed-in administrator; null when signed out. */
let session = null;

const CLIENT_ID = "console";
/** sessionStorage keys: the sign-in under way, and a sign-out to report. */
const PENDING = "console.pending-sign-in";
const SIGNED_OUT = "console.signed-out";

// ---------------------------------------------------------------- HTTP

class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** What a refusal says, from a problem-details or OAuth error body. */
async function reason(response) {
  try {
    const body = await response.json();
    return body.detail || body.error_description || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function send(path, options) {
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
    const retry = response.headers.get("Retry-After");
    const refusal = new Refused(response.status, body.error_description || `HTTP ${response.status}`);
    refusal.code = body.error;
    refusal.retryAfter = retry;
    throw refusal;
  }
  return response.json();
}

function remember(tokens) {
  session = {
    username: claimsOf(tokens.id_token)?.preferred_username ?? session?.username,
    idToken: tokens.id_token ?? session?.idToken,
    access: tokens.access_token,
    // Absent when the refresh token is in an HttpOnly cookie.
    refresh: tokens.refresh_token ?? null,
  };
}

/** A JWT's claims, unverified: only shown (the token came straight from the token endpoint). */
function claimsOf(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

/** A new access token from the refresh token (or the cookie); false when the session is over. */
async function renew() {
  const fields = { grant_type: "refresh_token", client_id: CLIENT_ID };
  if (session.refresh) fields.refresh_token = session.refresh;
  try {
    remember(await tokenRequest(fields));
    return true;
  } catch {
    return false;
  }
}

/** An admin API call with the access token; renews it once when it has expired. */
async function api(method, path, body) {
  const call = () => send(path, {
    method,
    headers: {
      Authorization: `Bearer ${session.access}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let response = await call();
  if (response.status === 401 && (await renew())) response = await call();
  if (response.status === 401) {
    endSession("Your session has ended. Sign in again.");
    throw new Refused(401, "Your session has ended.");
  }
  if (!response.ok) throw new Refused(response.status, await reason(response));
  return response.status === 204 ? null : response.json();
}

// ---------------------------------------------------------------- page state

function show(element, visible) {
  element.hidden = !visible;
}

function notify(text) {
  $("notice").textContent = text;
  show($("notice"), Boolean(text));
}

function complain(text) {
  $("problem").textContent = text;
  show($("problem"), Boolean(text));
}

/** Runs an action, showing its failure; the action's own result otherwise. */
async function attempt(action) {
  complain("");
  try {
    return await action();
  } catch (error) {
    if (error.status !== 401) complain(error.message);
    return undefined;
  }
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function cell(label, content) {
  const td = element("td");
  td.dataset.label = label;
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "—";
  return td;
}

function when(timestamp) {
  if (!timestamp) return "never";
  const date = new Date(timestamp);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function timeElement(timestamp) {
  if (!timestamp) return "never";
  const time = element("time", when(timestamp));
  time.dateTime = timestamp;
  return time;
}

function scopesOf(text) {
  return text.split(/\s+/).filter(Boolean);
}

/** Asks before something that cannot be undone; resolves true on "yes". */
function confirmAction(question, verb) {
  const dialog = $("confirm");
  $("confirm-text").textContent = question;
  $("confirm-yes").textContent = verb;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

// ---------------------------------------------------------------- paged lists

/**
 * A keyset-paged list: a table body, its empty and loading states, and a
 * pager. `load(cursor)` fetches a page; `row(item)` draws one.
 */
class PagedList {
  constructor(section, tbody, { load, row, empty }) {
    this.section = section;
    this.tbody = tbody;
    this.load = load;
    this.row = row;
    this.empty = empty;
    this.cursor = null;
    this.next = null;
    const listing = section.querySelector(".listing");
    this.listing = listing;
    this.emptyNote = listing.querySelector(".empty");
    this.loadingNote = listing.querySelector(".loading");
    this.firstButton = section.querySelector('[data-page="first"]');
    this.nextButton = section.querySelector('[data-page="next"]');
    this.firstButton.addEventListener("click", () => this.show(null));
    this.nextButton.addEventListener("click", () => this.show(this.next));
  }

  async show(cursor) {
    this.listing.setAttribute("aria-busy", "true");
    show(this.loadingNote, true);
    show(this.emptyNote, false);
    const page = await attempt(() => this.load(cursor));
    this.listing.setAttribute("aria-busy", "false");
    show(this.loadingNote, false);
    if (!page) return;
    this.cursor = cursor;
    this.next = page.next_cursor;
    this.tbody.replaceChildren(...page.items.map((item) => this.row(item)));
    this.emptyNote.textContent = this.empty();
    show(this.emptyNote, page.items.length === 0);
    this.firstButton.disabled = cursor === null;
    this.nextButton.disabled = !page.next_cursor;
  }

  reload() {
    return this.show(this.cursor);
  }
}

function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value) search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// ---------------------------------------------------------------- users

let shownUser = null;

const users = new PagedList($("users"), $("user-rows"), {
  load: (cursor) => api("GET", `/v1/admin/users${query({ prefix: $("user-prefix").value.trim(), cursor })}`),
  row: (user) => {
    const open = element("button", user.username, "link");
    open.type = "button";
    open.addEventListener("click", () => openUser(user.id));
    const status = element("span", user.disabled ? "Disabled" : "Enabled", user.disabled ? "badge off" : "badge on");
    const tr = element("tr");
    tr.append(
      cell("Username", open),
      cell("Scopes", user.scopes.join(" ") || "none"),
      cell("Status", status),
      cell("Last login", timeElement(user.last_login_at)),
    );
    return tr;
  },
  empty: () => {
    const prefix = $("user-prefix").value.trim();
    return prefix ? `No user's name starts with “${prefix}”.` : "No users yet.";
  },
});

function drawUser(user) {
  shownUser = user;
  $("user-name").textContent = user.username;
  $("user-status").textContent = user.disabled ? "Disabled: no token by any grant" : "Enabled";
  $("user-id").textContent = user.id;
  $("user-created").replaceChildren(timeElement(user.created_at));
  $("user-last-login").replaceChildren(timeElement(user.last_login_at));
  $("toggle-disabled").textContent = user.disabled ? "Enable user" : "Disable user";
  $("toggle-disabled").className = user.disabled ? "" : "danger";
  $("user-scopes").value = user.scopes.join(" ");
}

async function drawSessions(user) {
  const page = await api("GET", `/v1/admin/users/${encodeURIComponent(user.id)}/sessions?limit=200`);
  const items = page.items.map((s) => {
    const li = element("li");
    li.append(
      element("span", `Since ${when(s.created_at)}`),
      element("span", ` · scope ${s.scope || "none"}`, "muted"),
      element("span", ` · ends by ${when(s.expires_at)}`, "muted"),
    );
    return li;
  });
  $("user-sessions").replaceChildren(...items);
  show($("no-sessions"), items.length === 0);
  $("revoke-sessions").disabled = items.length === 0;
}

async function openUser(id) {
  await attempt(async () => {
    const user = await api("GET", `/v1/admin/users/${encodeURIComponent(id)}`);
    drawUser(user);
    await drawSessions(user);
    show($("user-detail"), true);
    $("user-name").tabIndex = -1;
    $("user-name").focus();
  });
}

async function changeUser(change, done) {
  await attempt(async () => {
    const user = await api("PATCH", `/v1/admin/users/${encodeURIComponent(shownUser.id)}`, change);
    drawUser(user);
    await drawSessions(user);
    notify(done(user));
    await users.reload();
  });
}

$("toggle-disabled").addEventListener("click", async () => {
  const disabling = !shownUser.disabled;
  if (disabling && !(await confirmAction(
    `Disable ${shownUser.username}? They get no token by any grant and every session ends now.`,
    "Disable user",
  ))) return;
  await changeUser({ disabled: disabling }, (user) => `${user.username} is ${user.disabled ? "disabled" : "enabled"}.`);
});

$("scopes-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await changeUser({ scopes: scopesOf($("user-scopes").value) }, (user) => `${user.username}'s scopes are now: ${user.scopes.join(" ") || "none"}.`);
});

$("revoke-sessions").addEventListener("click", async () => {
  if (!(await confirmAction(`End every session of ${shownUser.username}? Their refresh tokens stop working now.`, "Revoke sessions"))) return;
  await attempt(async () => {
    await api("DELETE", `/v1/admin/users/${encodeURIComponent(shownUser.id)}/sessions`);
    await drawSessions(shownUser);
    notify(`Every session of ${shownUser.username} is revoked.`);
  });
});

$("user-events").addEventListener("click", () => {
  $("audit-user").value = shownUser.id;
  $("audit-event").value = "";
  switchTo("audit");
});

$("close-user").addEventListener("click", () => show($("user-detail"), false));

$("user-search").addEventListener("submit", (event) => {
  event.preventDefault();
  show($("user-detail"), false);
  users.show(null);
});

// ---------------------------------------------------------------- clients

const KINDS = {
  service: { grant_types: ["client_credentials"], public: false, label: "Service" },
  app: { grant_types: ["authorization_code", "refresh_token"], public: false, label: "App" },
  public: { grant_types: ["authorization_code", "refresh_token"], public: true, label: "Public app" },
};

function kindOf(client) {
  if (client.client_id === CLIENT_ID) return "Built in: this console";
  if (!client.grant_types.includes("authorization_code")) return KINDS.service.label;
  return `${client.public ? KINDS.public.label : KINDS.app.label}, ID tokens ${client.id_token_signed_response_alg}`;
}

const linesOf = (text) => text.split(/\s+/).filter(Boolean);

const clients = new PagedList($("clients"), $("client-rows"), {
  load: (cursor) => api("GET", `/v1/admin/clients${query({ cursor })}`),
  row: (client) => {
    const actions = element("div", "", "actions");
    if (client.client_id !== CLIENT_ID) {
      if (client.grant_types.includes("authorization_code")) {
        const edit = element("button", "Edit", "quiet small");
        edit.type = "button";
        edit.setAttribute("aria-label", `Edit client ${client.name}`);
        edit.addEventListener("click", () => editClient(client));
        actions.append(edit);
      }
      const remove = element("button", "Delete", "danger small");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete client ${client.name}`);
      remove.addEventListener("click", () => deleteClient(client));
      actions.append(remove);
    }
    const uris = element("div", client.redirect_uris.join(" ") || "—", "uris");
    const tr = element("tr");
    tr.append(
      cell("Name", client.name),
      cell("Client ID", element("code", client.client_id)),
      cell("Kind", kindOf(client)),
      cell("Scopes", client.scopes.join(" ") || "none"),
      cell("Redirect URIs", uris),
      cell("Created", timeElement(client.created_at)),
      cell("", actions),
    );
    return tr;
  },
  empty: () => "No clients yet. Create one above for a service that needs its own token or an app that signs users in.",
});

async function deleteClient(client) {
  if (!(await confirmAction(`Delete the client ${client.name}? Its tokens stop working at auth-service now.`, "Delete client"))) return;
  await attempt(async () => {
    await api("DELETE", `/v1/admin/clients/${encodeURIComponent(client.client_id)}`);
    notify(`The client ${client.name} is deleted.`);
    await clients.reload();
  });
}

function showKindFields() {
  const app = $("client-kind").value !== "service";
  show($("client-app-fields"), app);
  $("client-app-fields").disabled = !app;
}
$("client-kind").addEventListener("change", showKindFields);

$("client-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await attempt(async () => {
    const kind = KINDS[$("client-kind").value];
    const body = {
      name: $("client-name").value.trim(),
      scopes: scopesOf($("client-scopes").value),
      grant_types: kind.grant_types,
      public: kind.public,
    };
    if (kind !== KINDS.service) {
      body.redirect_uris = linesOf($("client-redirect-uris").value);
      body.post_logout_redirect_uris = linesOf($("client-logout-uris").value);
      body.id_token_signed_response_alg = $("client-id-token-alg").value;
    }
    const created = await api("POST", "/v1/admin/clients", body);
    $("client-form").reset();
    showKindFields();
    if (created.client_secret) {
      $("new-client-id").textContent = created.client_id;
      $("new-client-secret").textContent = created.client_secret;
      show($("new-secret"), true);
      $("secret-done").focus();
    } else {
      notify(`The client ${created.name} is registered: its id is ${created.client_id}.`);
    }
    await clients.show(null);
  });
});

/** The client being edited. */
let editedClient = null;

function editClient(client) {
  editedClient = client;
  $("client-edit-title").textContent = `Edit ${client.name}`;
  $("edit-client-scopes").value = client.scopes.join(" ");
  $("edit-client-redirect-uris").value = client.redirect_uris.join("\n");
  $("edit-client-logout-uris").value = client.post_logout_redirect_uris.join("\n");
  show($("client-edit"), true);
  $("edit-client-scopes").focus();
}

$("client-edit-cancel").addEventListener("click", () => show($("client-edit"), false));

$("client-edit").addEventListener("submit", async (event) => {
  event.preventDefault();
  await attempt(async () => {
    await api("PATCH", `/v1/admin/clients/${encodeURIComponent(editedClient.client_id)}`, {
      scopes: scopesOf($("edit-client-scopes").value),
      redirect_uris: linesOf($("edit-client-redirect-uris").value),
      post_logout_redirect_uris: linesOf($("edit-client-logout-uris").value),
    });
    show($("client-edit"), false);
    notify(`The client ${editedClient.name} is saved.`);
    await clients.reload();
  });
});

$("secret-done").addEventListener("click", () => {
  $("new-client-secret").textContent = "";
  show($("new-secret"), false);
});

// ---------------------------------------------------------------- audit log

function auditDetail(item) {
  if (!item.detail) return "—";
  return Object.entries(item.detail)
    .map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

/** Usernames by user id, for the audit log (which keeps ids). */
const usernames = new Map();

async function learnUsernames(items) {
  const unknown = new Set();
  for (const item of items) {
    for (const id of [item.user_id, item.actor_id]) if (id && !usernames.has(id)) unknown.add(id);
  }
  await Promise.all([...unknown].map(async (id) => {
    const response = await send(`/v1/admin/users/${encodeURIComponent(id)}`, {
      headers: { Authorization: `Bearer ${session.access}` },
    });
    if (response.ok) usernames.set(id, (await response.json()).username);
    else if (response.status === 404) usernames.set(id, null);
  }));
}

/** A user as the audit log shows one: the name, the id on hover. */
function userCell(label, id) {
  if (!id) return cell(label, null);
  const name = usernames.get(id);
  const span = element("span", name ?? (name === null ? "deleted user" : id.slice(0, 8)));
  span.title = id;
  return cell(label, span);
}

const audit = new PagedList($("audit"), $("audit-rows"), {
  load: async (cursor) => {
    const page = await api("GET", `/v1/admin/audit${query({
      event: $("audit-event").value,
      user_id: $("audit-user").value.trim(),
      cursor,
    })}`);
    await learnUsernames(page.items);
    return page;
  },
  row: (item) => {
    const tr = element("tr");
    tr.append(
      cell("When", timeElement(item.at)),
      cell("Event", element("code", item.event)),
      userCell("User", item.user_id),
      item.actor_id ? userCell("By", item.actor_id) : cell("By", item.client_id),
      cell("From", item.client_address),
      cell("Detail", auditDetail(item)),
    );
    return tr;
  },
  empty: () => ($("audit-event").value || $("audit-user").value.trim()
    ? "No event matches these filters."
    : "No events yet."),
});

$("audit-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  audit.show(null);
});

// ---------------------------------------------------------------- navigation

const lists = { users, clients, audit };

function switchTo(view) {
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll(".view")) show(section, section.id === view);
  notify("");
  complain("");
  lists[view].show(null);
}

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => switchTo(tab.dataset.view));
}

// ---------------------------------------------------------------- sign in, sign out

function endSession(message) {
  session = null;
  shownUser = null;
  for (const tbody of ["user-rows", "client-rows", "audit-rows"]) $(tbody).replaceChildren();
  show($("user-detail"), false);
  show($("client-edit"), false);
  show($("new-secret"), false);
  show($("workspace"), false);
  show($("account"), false);
  show($("login"), true);
  notify("");
  complain(message ?? "");
  $("sign-in").focus();
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** This page's address, the console's registered redirect URI: `{public URL}/admin/`. */
const here = () => `${location.origin}${location.pathname}`;

/** Off to the sign-in page (RFC 6749 4.1.1 with PKCE S256, RFC 7636). */
async function signIn(prompt) {
  if (!crypto.subtle) {
    complain("The console signs in over HTTPS (or on localhost) only: this browser offers no Web Crypto here.");
    return;
  }
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: here(),
    scope: "openid profile auth:admin",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  if (prompt) params.set("prompt", prompt);
  location.assign(new URL(`../v1/authorize?${params}`, location.href));
}

/** The sign-in page's answer in this page's address: tokens, or why not. */
async function finishSignIn(answer) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null");
  sessionStorage.removeItem(PENDING);
  // The code leaves the address bar and the history.
  history.replaceState(null, "", here());
  if (!pending || answer.get("state") !== pending.state) {
    endSession("That sign-in did not start on this page. Sign in again.");
    return;
  }
  if (answer.has("error")) {
    // login_required: the silent sign-in found no browser session.
    endSession(answer.get("error") === "login_required" ? "" : `Signing in failed: ${answer.get("error_description") ?? answer.get("error")}.`);
    return;
  }
  let tokens;
  try {
    tokens = await tokenRequest({
      grant_type: "authorization_code",
      code: answer.get("code"),
      code_verifier: pending.verifier,
      client_id: CLIENT_ID,
      redirect_uri: here(),
    });
  } catch (error) {
    endSession(`Signing in failed: ${error.message}.`);
    return;
  }
  remember(tokens);
  if (!tokens.scope.split(" ").includes("auth:admin")) {
    const who = session.username;
    await spendRefreshToken();
    endSession(`${who} is not an administrator (no auth:admin scope). Sign in as another user.`);
    $("sign-in").dataset.prompt = "login";
    return;
  }
  $("signed-in-as").textContent = `Signed in as ${session.username}`;
  show($("login"), false);
  show($("account"), true);
  show($("workspace"), true);
  switchTo("users");
}

$("sign-in").addEventListener("click", () => signIn($("sign-in").dataset.prompt));

/** Ends the session's refresh token (in the body, or the cookie) at the server. */
async function spendRefreshToken() {
  const body = session?.refresh ? JSON.stringify({ refresh_token: session.refresh }) : undefined;
  await send("/v1/logout", {
    method: "POST",
    headers: body ? { "Content-Type": "application/json" } : {},
    body,
  }).catch(() => {});
}

$("sign-out").addEventListener("click", async () => {
  await spendRefreshToken();
  // Then the browser session, at end-session (RP-Initiated Logout), which comes back here.
  const params = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: here() });
  if (session?.idToken) params.set("id_token_hint", session.idToken);
  sessionStorage.setItem(SIGNED_OUT, "1");
  session = null;
  location.assign(new URL(`../v1/end-session?${params}`, location.href));
});

const answer = new URLSearchParams(location.search);
if (answer.has("code") || answer.has("error")) {
  finishSignIn(answer);
} else if (sessionStorage.getItem(SIGNED_OUT)) {
  sessionStorage.removeItem(SIGNED_OUT);
  history.replaceState(null, "", here());
  endSession();
  notify("You are signed out.");
} else {
  signIn("none");
}
