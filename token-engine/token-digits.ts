/**
 * Token digits as people read and type them (issue 22.8). Receipts and screens show a 20-digit
 * STS token as 4-4-4-4-4; keypads, SMS and forms receive whatever the customer typed: spaces and
 * dashes between groups, and in this market often Eastern Arabic (٠١٢٣٤٥٦٧٨٩) or Persian
 * (۰۱۲۳۴۵۶۷۸۹) digits, with the invisible direction marks that copying Arabic text adds. The
 * same pair serves STS and OpenPAYGO (whose tokens are 9, 12 or 15 digits).
 */

/** Longest input looked at: a 20-digit token with generous separators. Beyond: Format. */
export const MAX_TYPED_TOKEN_LENGTH = 64;

export type ParsedTokenDigits =
  { ok: true; digits: string } | { ok: false; reason: 'Format'; message: string };

const ARABIC_INDIC_ZERO = 0x0660; // ٠ … ٩ = U+0660 … U+0669
const PERSIAN_ZERO = 0x06f0; // ۰ … ۹ = U+06F0 … U+06F9
/** Group separators: whitespace (incl. no-break spaces) and the dash family. */
const SEPARATOR = /[\s\u00a0\u202f\u2007\-\u2010\u2011\u2012\u2013\u2212\u2043\uFE63\uFF0D]/u;
/** Direction marks (LRM, RLM, ALM, isolates, embeddings) carry no content. */
const DIRECTION_MARK = /[\u200e\u200f\u061c\u2066-\u2069\u202a-\u202e]/u;

/**
 * Typed token → ASCII digits. Accepts ASCII, Eastern Arabic and Persian digits, spaces, dashes and
 * direction marks; anything else is a Format error naming the character's position. Never throws.
 * `length` (or a list of lengths) is checked when given.
 */
export function parseTokenDigits(input: unknown, length?: number | readonly number[]): ParsedTokenDigits {
  if (typeof input !== 'string') return format('token must be a string');
  if (input.length > MAX_TYPED_TOKEN_LENGTH)
    return format(`token is longer than ${MAX_TYPED_TOKEN_LENGTH} characters`);
  let digits = '';
  let position = 0;
  for (const ch of input) {
    position++;
    const c = ch.codePointAt(0)!;
    if (c >= 0x30 && c <= 0x39) digits += ch;
    else if (c >= ARABIC_INDIC_ZERO && c <= ARABIC_INDIC_ZERO + 9) digits += String(c - ARABIC_INDIC_ZERO);
    else if (c >= PERSIAN_ZERO && c <= PERSIAN_ZERO + 9) digits += String(c - PERSIAN_ZERO);
    else if (!SEPARATOR.test(ch) && !DIRECTION_MARK.test(ch))
      return format(`character ${position} is not a digit, a space or a dash`);
  }
  if (digits === '') return format('token has no digits');
  if (length !== undefined) {
    const allowed = typeof length === 'number' ? [length] : length;
    if (!allowed.includes(digits.length))
      return format(`token must be ${allowed.join(' or ')} digits, got ${digits.length}`);
  }
  return { ok: true, digits };
}

/**
 * Digits → display form in groups (default 4, so a 20-digit STS token reads 4-4-4-4-4). Accepts
 * anything parseTokenDigits accepts; returns the input unchanged if it is not a token.
 */
export function formatTokenDigits(token: string, opts: { group?: number; separator?: string } = {}): string {
  const parsed = parseTokenDigits(token);
  if (!parsed.ok) return token;
  const group = Math.max(1, Math.trunc(opts.group ?? 4));
  const separator = opts.separator ?? ' ';
  const parts: string[] = [];
  for (let i = 0; i < parsed.digits.length; i += group) parts.push(parsed.digits.slice(i, i + group));
  return parts.join(separator);
}

function format(message: string): ParsedTokenDigits {
  return { ok: false, reason: 'Format', message };
}
