import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short signed links to a bill for SMS: `/b/<number>.<tag>` where the tag is the first 12 base64url
 * characters (72 bits) of HMAC-SHA256(secret, number). Only the holder of the link opens that one
 * bill's PDF; the secret never leaves the gateway.
 */
const TAG_CHARS = 12;

export function billLinkTag(secret: string, number: string): string {
  return createHmac('sha256', secret).update(`bill:${number}`).digest('base64url').slice(0, TAG_CHARS);
}

export function billLinkToken(secret: string, number: string): string {
  return `${number}.${billLinkTag(secret, number)}`;
}

/** The bill number a token opens, or undefined when it is not genuine. */
export function verifyBillLink(secret: string, token: string): string | undefined {
  const m = /^(\d{4}-\d{6,})\.([A-Za-z0-9_-]{12})$/.exec(token);
  if (!m) return undefined;
  const expected = Buffer.from(billLinkTag(secret, m[1]!));
  const given = Buffer.from(m[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? m[1] : undefined;
}
