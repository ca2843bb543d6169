// The incident console: sign in, then triage and trail. See docs/console.md.

import { ApiError, forget, signIn } from "./api.js";
import { $, setText } from "./dom.js";
import * as trail from "./trail.js";
import * as triage from "./triage.js";

function show(signedIn) {
  $("signin").hidden = signedIn;
  for (const id of ["triage", "trail", "nav", "sign-out", "whoami"]) $(id).hidden = !signedIn;
}

async function onSignIn(event) {
  event.preventDefault();
  const input = $("signin-token");
  const candidate = input.value.trim();
  input.value = ""; // out of the form as soon as it is read
  setText("signin-error", "");
  if (!candidate) return;
  try {
    const user = await signIn(candidate);
    setText("whoami", `Signed in as ${user && user.user_id !== undefined ? `user ${user.user_id}` : "an administrator"}${user && user.name ? ` (token “${user.name}”)` : ""}`);
    show(true);
    $("paste").focus();
    trail.refresh();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    setText("signin-error", error.status ? `${error.status}: ${error.message}` : error.message);
    input.focus();
  }
}

function onSignOut() {
  forget();
  triage.forgetAll();
  trail.forgetAll();
  setText("whoami", "");
  show(false);
  $("signin-token").focus();
}

function start() {
  triage.setup();
  trail.setup();
  $("signin-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", onSignOut);
  show(false);
  $("signin-token").focus();
}

start();
