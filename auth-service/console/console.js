// The admin console: a page over auth-service's own admin API, same origin.
// The access token (and, unless the refresh cookie is on, the refresh token)
// lives in this module's memory only: never in web storage or in a cookie the
// page can read. Reloading the page logs out. Every value from
// the server is written with textContent, never parsed as HTML.

const $ = (id) => document.getElementById(id);

/** The logged-in administrator; null when logged out. */
let session = null;

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

function remember(tokens, username) {
  session = {
    username: username ?? session?.username,
    access: tokens.access_token,
    // Absent when the refresh token is in an HttpOnly cookie.
    refresh: tokens.refresh_token ?? null,
  };
}

/** A new access token from the refresh token (or the cookie); false when the session is over. */
async function renew() {
  const fields = { grant_type: "refresh_token" };
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
    endSession("Your session has ended. Log in again.");
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

const clients = new PagedList($("clients"), $("client-rows"), {
  load: (cursor) => api("GET", `/v1/admin/clients${query({ cursor })}`),
  row: (client) => {
    const remove = element("button", "Delete", "danger small");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete client ${client.name}`);
    remove.addEventListener("click", () => deleteClient(client));
    const tr = element("tr");
    tr.append(
      cell("Name", client.name),
      cell("Client ID", element("code", client.client_id)),
      cell("Scopes", client.scopes.join(" ") || "none"),
      cell("Created", timeElement(client.created_at)),
      cell("", remove),
    );
    return tr;
  },
  empty: () => "No service clients yet. Create one above for a service that needs its own token.",
});

async function deleteClient(client) {
  if (!(await confirmAction(`Delete the client ${client.name}? Its tokens stop working at auth-service now.`, "Delete client"))) return;
  await attempt(async () => {
    await api("DELETE", `/v1/admin/clients/${encodeURIComponent(client.client_id)}`);
    notify(`The client ${client.name} is deleted.`);
    await clients.reload();
  });
}

$("client-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await attempt(async () => {
    const created = await api("POST", "/v1/admin/clients", {
      name: $("client-name").value.trim(),
      scopes: scopesOf($("client-scopes").value),
    });
    $("new-client-id").textContent = created.client_id;
    $("new-client-secret").textContent = created.client_secret;
    show($("new-secret"), true);
    $("client-form").reset();
    $("secret-done").focus();
    await clients.show(null);
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

// ---------------------------------------------------------------- log in, log out

function endSession(message) {
  session = null;
  shownUser = null;
  for (const tbody of ["user-rows", "client-rows", "audit-rows"]) $(tbody).replaceChildren();
  show($("user-detail"), false);
  show($("new-secret"), false);
  show($("workspace"), false);
  show($("account"), false);
  show($("login"), true);
  notify("");
  complain(message ?? "");
  $("login-username").focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.submitter ?? $("login-form").querySelector("button");
  const username = $("login-username").value.trim();
  complain("");
  button.disabled = true;
  button.textContent = "Logging in…";
  try {
    const tokens = await tokenRequest({
      grant_type: "password",
      username,
      password: $("login-password").value,
      scope: "auth:admin",
    });
    remember(tokens, username);
    $("login-form").reset();
    $("signed-in-as").textContent = `Signed in as ${username}`;
    show($("login"), false);
    show($("account"), true);
    show($("workspace"), true);
    switchTo("users");
  } catch (error) {
    if (error.code === "invalid_scope") complain(`${username} is not an administrator (no auth:admin scope).`);
    else if (error.status === 429) complain(`Too many failed logins. Try again in ${error.retryAfter ?? "a few"} seconds.`);
    else complain(error.message.charAt(0).toUpperCase() + error.message.slice(1) + ".");
    $("login-password").select();
  } finally {
    button.disabled = false;
    button.textContent = "Log in";
  }
});

$("log-out").addEventListener("click", async () => {
  // Ends the session at the server too, so its refresh token is spent.
  const body = session?.refresh ? JSON.stringify({ refresh_token: session.refresh }) : undefined;
  await send("/v1/logout", {
    method: "POST",
    headers: body ? { "Content-Type": "application/json" } : {},
    body,
  }).catch(() => {});
  endSession();
  notify("You are logged out.");
});
