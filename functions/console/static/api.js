// The API on this page's own origin. The administrator's token lives in this module's memory
// only: never in storage, a cookie, the URL or the console, and it is sent as PRIVATE-TOKEN to
// this origin alone (URLs are built relative to the page, so never to another host).

let token = null;

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function signedIn() {
  return token !== null;
}

// Whether a token is the one signed in with (compared here: the token never leaves this module).
export function isOwnToken(candidate) {
  return token !== null && candidate === token;
}

export function forget() {
  token = null;
}

// The API's message as it says it: `message` (a string or {"error": ...}) or `error`.
export function apiMessage(status, body) {
  if (body && typeof body === "object") {
    const { message, error } = body;
    if (typeof message === "string") return message;
    if (message && typeof message === "object" && typeof message.error === "string") return message.error;
    if (typeof error === "string") return error;
  }
  return `HTTP ${status}`;
}

// Paths are relative to the API's root: the page is /console there (after a stage, on AWS).
export function apiUrl(path, query) {
  const url = new URL(path, document.baseURI);
  if (url.origin !== window.location.origin) throw new Error("the API is on this page's origin only");
  if (query) url.search = query instanceof URLSearchParams ? query.toString() : new URLSearchParams(query).toString();
  return url;
}

async function call(method, path, { body, query, credential = token } = {}) {
  if (credential === null) throw new ApiError(401, "Not signed in", null);
  const headers = { "PRIVATE-TOKEN": credential, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      referrerPolicy: "no-referrer",
    });
  } catch (error) {
    throw new ApiError(0, "The API could not be reached", null);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, apiMessage(response.status, parsed), parsed);
  return { status: response.status, headers: response.headers, body: parsed };
}

// Checks the token with a harmless call (a lookup of itself: reads, writes nothing) and keeps
// it only if the API accepts it. Answers who it belongs to.
export async function signIn(candidate) {
  const answer = await call("POST", "api/v4/admin/token", { body: { token: candidate }, credential: candidate });
  token = candidate;
  return answer.body;
}

export function bulkRevoke(tokens, dryRun) {
  return call("POST", "api/v4/admin/tokens/revoke", { body: { tokens, dry_run: dryRun } });
}

export function auditEvents(query) {
  return call("GET", "api/v4/audit_events", { query });
}

export function auditEvent(id) {
  return call("GET", `api/v4/audit_events/${encodeURIComponent(id)}`);
}

// The query of a `Link: <...>; rel="next"` URL: followed on this origin whatever host it names.
export function nextQuery(headers) {
  const link = headers.get("Link");
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return new URL(match[1], document.baseURI).searchParams;
  }
  return null;
}
