// Reading what a scanner found, in the browser: a report's contents never leave the page, only
// the tokens it holds go to the bulk call. The rules are revoke-report's
// (src/admin_token_local/scanner_reports.py): gitleaks (a JSON array of findings with `Secret`),
// GitLab secret detection (an object with `vulnerabilities[]` and `scan.type` "secret_detection"),
// trufflehog (JSON lines with `Raw` and `SourceMetadata`). Anything else is text, searched for the
// token types' prefixes.

// The token types' prefixes (in the API's matching order), names and entity types: the console
// function writes token-types.js from the API's registry. A custom personal access token prefix
// is the server's setting, unknown here: tokens with it are found in reports but not in plain text.
import { ENTITY_TYPES, PREFIXES, TOKEN_TYPES } from "./token-types.js";

export { ENTITY_TYPES, PREFIXES, TOKEN_TYPES };
export const GITLEAKS = "gitleaks";
export const GITLAB = "GitLab secret detection";
export const TRUFFLEHOG = "trufflehog";
export const TEXT = "text";
const GITLEAKS_REDACTED = "REDACTED";
const MAX_TOKEN = 512;

export class ReportError extends Error {}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// A prefix, then the characters tokens are made of (routable tokens hold dots), not inside a word.
const TOKEN_IN_TEXT = new RegExp(
  `(?<![A-Za-z0-9_.-])(?:${PREFIXES.map(escapeRegExp).join("|")})[A-Za-z0-9_.-]{1,${MAX_TOKEN}}`,
  "g",
);

export function knownPrefix(secret) {
  return PREFIXES.find((prefix) => secret.startsWith(prefix)) || null;
}

function parse(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error };
  }
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const fileOf = (value) => (typeof value === "string" ? value : "");
const lineOf = (value) => (Number.isInteger(value) && value > 0 ? value : null);

function gitleaks(document) {
  if (!(Array.isArray(document) && document.every((item) => isObject(item) && "Secret" in item))) return null;
  return document.map((item) => {
    const secret = item.Secret;
    const redacted = typeof secret !== "string" || secret === GITLEAKS_REDACTED || secret.endsWith("...");
    return { file: fileOf(item.File), line: lineOf(item.StartLine), secret: redacted ? "" : secret };
  });
}

function gitlab(document) {
  if (!(isObject(document) && Array.isArray(document.vulnerabilities))) return null;
  const vulnerabilities = document.vulnerabilities.filter(isObject);
  const kind = isObject(document.scan) ? document.scan.type : undefined;
  if (kind === undefined) {
    if (!vulnerabilities.length || vulnerabilities.some((item) => item.category !== "secret_detection")) return null;
  } else if (kind !== "secret_detection") {
    const shown = typeof kind === "string" && /^[A-Za-z0-9_]+$/.test(kind) ? kind : "other";
    throw new ReportError(`a GitLab ${shown} report, not a secret detection report`);
  }
  return vulnerabilities.map((item) => {
    const location = isObject(item.location) ? item.location : {};
    const secret = item.raw_source_code_extract;
    return { file: fileOf(location.file), line: lineOf(location.start_line), secret: typeof secret === "string" ? secret : "" };
  });
}

function trufflehogPlace(metadata) {
  const data = isObject(metadata) ? metadata.Data : null;
  if (isObject(data)) {
    for (const source of Object.values(data)) {
      if (isObject(source)) return { file: fileOf(source.file), line: lineOf(source.line) };
    }
  }
  return { file: "", line: null };
}

function trufflehog(text, whole) {
  let documents;
  if (whole.ok && isObject(whole.value)) documents = [whole.value];
  else if (whole.ok && Array.isArray(whole.value)) documents = whole.value;
  else {
    documents = text.split(/\r?\n/).filter((line) => line.trim()).map((line) => {
      const one = parse(line);
      return one.ok ? one.value : undefined;
    });
  }
  const findings = [];
  for (const item of documents) {
    if (isObject(item) && "Raw" in item && "SourceMetadata" in item) {
      findings.push({ ...trufflehogPlace(item.SourceMetadata), secret: typeof item.Raw === "string" ? item.Raw : "" });
    } else if (!(isObject(item) && "level" in item && "msg" in item)) {
      return null; // neither a finding nor one of trufflehog's own log lines
    }
  }
  if (!findings.length && text.trim()) return null;
  return findings;
}

// Tokens in any text, each with the line it is on.
export function tokensInText(text) {
  const findings = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    for (const match of line.matchAll(TOKEN_IN_TEXT)) {
      findings.push({ file: "", line: index + 1, secret: match[0].replace(/\.+$/, "") });
    }
  });
  return findings;
}

// What a text holds: {format, findings: [{file, line, secret}], note}. `secret` is "" when the
// report does not carry it (redacted): such a finding is counted, never sent.
export function readText(text) {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  const whole = parse(body);
  if (whole.ok) {
    const fromGitleaks = gitleaks(whole.value);
    if (fromGitleaks) return { format: GITLEAKS, findings: fromGitleaks, note: "" };
    const fromGitlab = gitlab(whole.value);
    if (fromGitlab) return { format: GITLAB, findings: fromGitlab, note: "" };
  }
  const fromTrufflehog = trufflehog(body, whole);
  if (fromTrufflehog) return { format: TRUFFLEHOG, findings: fromTrufflehog, note: "" };
  const trimmed = body.trimStart();
  const looksJson = trimmed.startsWith("{") || trimmed.startsWith("[");
  const note = looksJson && !whole.ok ? `not valid JSON (${whole.error.message}): searched as text` : "";
  return { format: TEXT, findings: tokensInText(body), note };
}

// A file's text, or a ReportError saying why it cannot be read.
export async function readFile(file) {
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch {
    throw new ReportError("cannot be read");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ReportError("cannot be read: not UTF-8 text");
  }
}

// Findings to distinct tokens: each kept once, with every place it was found. Surrounding
// whitespace is stripped (a report's "glpat-…\n" is that token). Secrets with no GitLab prefix
// and redacted findings are counted, never sent.
export function collect(tokens, source, findings) {
  let added = 0;
  let skipped = 0;
  let redacted = 0;
  for (const finding of findings) {
    const secret = finding.secret.trim();
    if (!secret) {
      redacted += 1;
      continue;
    }
    if (!knownPrefix(secret)) {
      skipped += 1;
      continue;
    }
    let entry = tokens.get(secret);
    if (!entry) {
      entry = { secret, locations: [] };
      tokens.set(secret, entry);
      added += 1;
    }
    const seen = entry.locations.some((place) => place.source === source && place.file === finding.file && place.line === finding.line);
    if (!seen) entry.locations.push({ source, file: finding.file, line: finding.line });
  }
  return { added, skipped, redacted };
}
