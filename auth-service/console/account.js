// The account page: a user's own account, signed in as the built-in public
// client `account` (session.js: the code flow on the sign-in page; tokens in
// memory only). Sessions, the password, the email address, and two-step sign-in (a TOTP
// authenticator: its QR code, its recovery codes shown once). Every value
// from the server is written with textContent, never parsed as HTML; the QR
// code is an <img> of the data: URL the API answers.

import {
  PageSession, attempt, cell, element, notify, show, showSignedIn, showSignedOut, timeElement,
} from "./session.js";

const $ = (id) => document.getElementById(id);

const session = new PageSession("account", "openid profile", (message) => showSignedOut(message));
const api = (method, path, body) => session.api(method, path, body);

// ---------------------------------------------------------------- two-step sign-in

async function showMfa() {
  const status = await api("GET", "/v1/me/mfa");
  $("mfa-status").textContent = status.totp
    ? `On: sign-ins ask for a code from your authenticator app. Recovery codes left: ${status.recovery_codes_left}.`
    : "Off: a password alone signs you in.";
  show($("mfa-enrol"), !status.totp);
  show($("mfa-off-form"), status.totp);
  show($("mfa-setup"), false);
}

$("mfa-enrol").addEventListener("click", () => attempt(async () => {
  const enrolment = await api("POST", "/v1/me/mfa/totp");
  $("mfa-qr").src = enrolment.qr_code;
  $("mfa-secret").textContent = enrolment.secret;
  show($("mfa-enrol"), false);
  show($("mfa-setup"), true);
  $("mfa-confirm-code").focus();
}));

$("mfa-confirm-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    const { recovery_codes: codes } = await api("POST", "/v1/me/mfa/totp/confirm", {
      code: $("mfa-confirm-code").value.trim(),
    });
    $("mfa-confirm-form").reset();
    $("mfa-qr").removeAttribute("src");
    $("mfa-secret").textContent = "";
    show($("mfa-setup"), false);
    $("mfa-code-list").replaceChildren(...codes.map((code) => element("li", code)));
    show($("mfa-codes"), true);
    $("mfa-codes-done").focus();
    notify("Two-step sign-in is on. Your other sessions have ended.");
    await Promise.all([showMfa(), showSessions()]);
  });
});

$("mfa-codes-done").addEventListener("click", () => {
  $("mfa-code-list").replaceChildren();
  show($("mfa-codes"), false);
});

$("mfa-off-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    await api("DELETE", "/v1/me/mfa/totp", { code: $("mfa-off-code").value.trim() });
    $("mfa-off-form").reset();
    notify("Two-step sign-in is off.");
    await showMfa();
  });
});

// ---------------------------------------------------------------- email address

// The server shows the section only where it sends mail.
async function showEmail() {
  if ($("email-card").hidden) return;
  const me = await api("GET", "/v1/me");
  $("email-status").textContent = me.email === null
    ? "None: a forgotten password can only be reset by an administrator."
    : `${me.email}: ${me.email_verified ? "confirmed" : "not confirmed yet (open the link mailed to it)"}.`;
}

$("email-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    const me = await api("PUT", "/v1/me/email", { email: $("email").value.trim() });
    $("email-form").reset();
    notify(`A confirmation link is on its way to ${me.email}.`);
    await showEmail();
  });
});

// ---------------------------------------------------------------- password

$("password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(async () => {
    await api("PUT", "/v1/me/password", {
      current_password: $("current-password").value,
      new_password: $("new-password").value,
    });
    $("password-form").reset();
    // Every session ended with the change, this one's too.
    session.tokens = null;
    showSignedOut();
    notify("Your password is changed and every session has ended. Sign in with the new one.");
  });
});

// ---------------------------------------------------------------- sessions

async function showSessions() {
  const { items } = await api("GET", "/v1/me/sessions");
  $("session-rows").replaceChildren(...items.map((s) => {
    const actions = element("div", "", "actions");
    if (s.current) {
      actions.append(element("span", "This session", "muted"));
    } else {
      const end = element("button", "End", "danger small");
      end.type = "button";
      end.setAttribute("aria-label", `End the session started ${new Date(s.created_at).toLocaleString()}`);
      end.addEventListener("click", () => attempt(async () => {
        await api("DELETE", `/v1/me/sessions/${encodeURIComponent(s.id)}`);
        notify("The session has ended.");
        await showSessions();
      }));
      actions.append(end);
    }
    const tr = element("tr");
    tr.append(
      cell("Started", timeElement(s.created_at)),
      cell("App", s.client_id ?? "a password login"),
      cell("Sign-in", s.acr === "aal2" ? "password and code" : "password"),
      cell("", actions),
    );
    return tr;
  }));
}

// ---------------------------------------------------------------- sign in, sign out

await session.run(async () => {
  showSignedIn(session.username);
  await attempt(() => Promise.all([showMfa(), showEmail(), showSessions()]));
}, showSignedOut);
