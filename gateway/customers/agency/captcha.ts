import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The agency's CAPTCHA, served by metergate itself: a proof-of-work challenge (the client finds a
 * nonce such that SHA-256(challenge ":" nonce) starts with `difficulty` zero bits, about a second of
 * work in a browser, costly in bulk). The challenge is HMAC-signed with its expiry, so the server
 * keeps nothing but the challenges already used (refused a second time until they expire).
 *
 * `bypass: true` (METERGATE_CAPTCHA_BYPASS=1, tests and the demo only) also accepts the answer `bypass`.
 */
export const CAPTCHA_DIFFICULTY_BITS = 18;
const TTL_MS = 10 * 60_000;

export interface CaptchaChallenge {
  algorithm: 'sha256-leading-zero-bits';
  challenge: string;
  difficulty: number;
  expiresAt: string;
}

export class ProofOfWorkCaptcha {
  private readonly secret: Buffer;
  private readonly used = new Map<string, number>();
  constructor(private readonly o: { bypass: boolean; difficulty?: number; now?: () => number }) {
    this.secret = randomBytes(32);
  }

  get bypass(): boolean {
    return this.o.bypass;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url').slice(0, 22);
  }

  issue(): CaptchaChallenge {
    const expires = this.now() + TTL_MS;
    const body = `${expires.toString(36)}.${randomBytes(12).toString('base64url')}`;
    return {
      algorithm: 'sha256-leading-zero-bits',
      challenge: `${body}.${this.sign(body)}`,
      difficulty: this.o.difficulty ?? CAPTCHA_DIFFICULTY_BITS,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /** `answer` is `<challenge>:<nonce>` (or `bypass` when enabled). Each challenge is accepted once. */
  verify(answer: string): boolean {
    if (this.o.bypass && answer === 'bypass') return true;
    const [challenge, nonce] = answer.split(':');
    if (!challenge || !nonce || nonce.length > 32) return false;
    const [expires36, rand, mac] = challenge.split('.');
    if (!expires36 || !rand || !mac) return false;
    const expected = Buffer.from(this.sign(`${expires36}.${rand}`));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const expires = parseInt(expires36, 36);
    const now = this.now();
    if (!(expires > now)) return false;
    for (const [c, until] of this.used) if (until <= now) this.used.delete(c);
    if (this.used.has(challenge)) return false;
    if (!hasLeadingZeroBits(`${challenge}:${nonce}`, this.o.difficulty ?? CAPTCHA_DIFFICULTY_BITS))
      return false;
    this.used.set(challenge, expires);
    return true;
  }
}

export function hasLeadingZeroBits(text: string, bits: number): boolean {
  const digest = createHash('sha256').update(text).digest();
  let remaining = bits;
  for (const byte of digest) {
    if (remaining <= 0) return true;
    if (remaining >= 8) {
      if (byte !== 0) return false;
      remaining -= 8;
    } else {
      return byte >> (8 - remaining) === 0;
    }
  }
  return remaining <= 0;
}

/** Solves a challenge (tests and command-line clients; the browser does the same in agency.js). */
export function solveCaptcha(c: CaptchaChallenge): string {
  for (let nonce = 0; ; nonce++) {
    if (hasLeadingZeroBits(`${c.challenge}:${nonce.toString(36)}`, c.difficulty))
      return `${c.challenge}:${nonce.toString(36)}`;
  }
}
