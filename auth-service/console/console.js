// The admin console: a page over auth-service's own admin API, same origin,
// signed in as the built-in public client `console` (session.js: the code
// flow on the sign-in page; tokens in memory only). Every value from the
// server is written with textContent, never parsed as HTML.

import {
  PageSession, attempt, cell, complain, element, notify, send, show, showSignedIn, showSignedOut, timeElement, when,
} from "./session.js";

const $ = (id) => document.getElementById(id);

const session = new PageSession("console", "openid profile auth:admin", (message) => endSession(message));
const api = (method, path, body) => session.api(method, path, body);
const BUILT_IN = { console: "Built in: this console", account: "Built in: the account page" };

// ---------------------------------------------------------------- page state


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
  $("user-email").textContent = user.email === null
    ? "none"
    : `${user.email} (${user.email_verified ? "confirmed" : "not confirmed"})`;
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

$("reset-mfa").addEventListener("click", async () => {
  const name = shownUser.username;
  if (!(await confirmAction(`Reset two-step sign-in of ${name}? Their authenticator and recovery codes stop working, and every session of theirs ends.`, "Reset two-step sign-in"))) return;
  await attempt(async () => {
    try {
      await api("DELETE", `/v1/admin/users/${encodeURIComponent(shownUser.id)}/mfa`);
    } catch (error) {
      if (error.status !== 404) throw error;
      notify(`${name} has no two-step sign-in to reset.`);
      return;
    }
    await drawSessions(shownUser);
    notify(`Two-step sign-in of ${name} is reset: they sign in with their password and may set it up again.`);
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
  if (BUILT_IN[client.client_id]) return BUILT_IN[client.client_id];
  if (!client.grant_types.includes("authorization_code")) return KINDS.service.label;
  return `${client.public ? KINDS.public.label : KINDS.app.label}, ID tokens ${client.id_token_signed_response_alg}`;
}

const linesOf = (text) => text.split(/\s+/).filter(Boolean);

const clients = new PagedList($("clients"), $("client-rows"), {
  load: (cursor) => api("GET", `/v1/admin/clients${query({ cursor })}`),
  row: (client) => {
    const actions = element("div", "", "actions");
    if (!BUILT_IN[client.client_id]) {
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
      headers: { Authorization: `Bearer ${session.tokens?.access_token}` },
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
  shownUser = null;
  for (const tbody of ["user-rows", "client-rows", "audit-rows"]) $(tbody).replaceChildren();
  show($("user-detail"), false);
  show($("client-edit"), false);
  show($("new-secret"), false);
  showSignedOut(message);
}

async function enter() {
  if (!session.scopes.includes("auth:admin")) {
    const who = session.username;
    await session.spendRefreshToken();
    session.tokens = null;
    endSession(`${who} is not an administrator (no auth:admin scope, or it needs a second factor). Sign in as another user.`);
    $("sign-in").dataset.prompt = "login";
    return;
  }
  showSignedIn(session.username);
  switchTo("users");
}

await session.run(enter, endSession);
