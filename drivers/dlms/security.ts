import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ByteReader, ByteWriter, concat } from './bytes.js';
import { DlmsError } from './errors.js';

/**
 * Security suite 0 (Green Book §9.2.3-9.2.7): AES-128-GCM with a 12-byte tag, IV = system title (8)
 * || invocation counter (4), additional authenticated data = security control || AK (|| the
 * plaintext or challenge for authentication-only). Key material is passed in, never logged: error
 * messages name what failed, not the keys. Written from the standard (no DLMS library on npm).
 */
export const SC_AUTH = 0x10;
export const SC_ENC = 0x20;
export const TAG_LENGTH = 12;

export interface CipherKeys {
  /** Block cipher key (global unicast EK, or the dedicated key). */
  readonly ek: Uint8Array;
  readonly ak: Uint8Array;
}

function iv(systemTitle: Uint8Array, ic: number): Buffer {
  if (systemTitle.length !== 8) throw new DlmsError('MG_ERR_DLMS_USAGE', 'a system title is 8 bytes');
  const b = Buffer.alloc(12);
  b.set(systemTitle, 0);
  b.writeUInt32BE(ic >>> 0, 8);
  return b;
}

function checkKeys(k: CipherKeys): void {
  if (k.ek.length !== 16 || k.ak.length !== 16)
    throw new DlmsError('MG_ERR_DLMS_USAGE', 'security suite 0 keys are 16 bytes (AES-128)');
}

/** SC || IC || ciphertext || tag, the protected content of every ciphered APDU. */
export function protect(
  plain: Uint8Array,
  sc: number,
  systemTitle: Uint8Array,
  ic: number,
  k: CipherKeys,
): Uint8Array {
  checkKeys(k);
  const head = Uint8Array.from([sc, ic >>> 24, (ic >>> 16) & 0xff, (ic >>> 8) & 0xff, ic & 0xff]);
  const cipher = createCipheriv('aes-128-gcm', k.ek, iv(systemTitle, ic), { authTagLength: TAG_LENGTH });
  const enc = (sc & SC_ENC) !== 0;
  const auth = (sc & SC_AUTH) !== 0;
  if (!enc && !auth) return concat([head, plain]);
  cipher.setAAD(
    auth ? concat([Uint8Array.of(sc), k.ak, enc ? new Uint8Array(0) : plain]) : new Uint8Array(0),
  );
  const body = enc ? concat([cipher.update(plain), cipher.final()]) : (cipher.final(), plain);
  return auth ? concat([head, body, cipher.getAuthTag()]) : concat([head, body]);
}

export interface Unprotected {
  readonly sc: number;
  readonly ic: number;
  readonly plain: Uint8Array;
}

export function unprotect(content: Uint8Array, systemTitle: Uint8Array, k: CipherKeys): Unprotected {
  checkKeys(k);
  const r = new ByteReader(content);
  const sc = r.u8('security control');
  const ic = r.u32('invocation counter');
  if (sc & 0x0f) throw new DlmsError('MG_ERR_DLMS_CIPHER', `security suite ${sc & 0x0f} is not supported`);
  if (sc & 0xc0) throw new DlmsError('MG_ERR_DLMS_CIPHER', 'compression / key-set bits are not supported');
  const enc = (sc & SC_ENC) !== 0;
  const auth = (sc & SC_AUTH) !== 0;
  const rest = content.subarray(5);
  if (!auth && !enc) return { sc, ic, plain: rest.slice() };
  if (auth && rest.length < TAG_LENGTH)
    throw new DlmsError('MG_ERR_DLMS_CIPHER', 'ciphered APDU shorter than its tag');
  const body = auth ? rest.subarray(0, rest.length - TAG_LENGTH) : rest;
  const decipher = createDecipheriv('aes-128-gcm', k.ek, iv(systemTitle, ic), { authTagLength: TAG_LENGTH });
  try {
    if (auth) {
      decipher.setAAD(concat([Uint8Array.of(sc), k.ak, enc ? new Uint8Array(0) : body]));
      decipher.setAuthTag(rest.subarray(rest.length - TAG_LENGTH));
      const plain = enc
        ? concat([decipher.update(body), decipher.final()])
        : (decipher.update(new Uint8Array(0)), decipher.final(), body.slice());
      return { sc, ic, plain };
    }
    // Encryption without authentication: CTR part of GCM, no tag to check.
    const ctr = createDecipheriv(
      'aes-128-ctr',
      k.ek,
      Buffer.concat([iv(systemTitle, ic), Buffer.from([0, 0, 0, 2])]),
    );
    return { sc, ic, plain: concat([ctr.update(body), ctr.final()]) };
  } catch {
    throw new DlmsError('MG_ERR_DLMS_CIPHER', `authentication tag mismatch (invocation counter ${ic})`);
  }
}

/** HLS-GMAC f(challenge) (Green Book §9.2.7.4, mechanism 5): SC || IC || GMAC(SC || AK || challenge). */
export function gmacResponse(
  challenge: Uint8Array,
  systemTitle: Uint8Array,
  ic: number,
  k: CipherKeys,
  sc = SC_AUTH,
): Uint8Array {
  checkKeys(k);
  const cipher = createCipheriv('aes-128-gcm', k.ek, iv(systemTitle, ic), { authTagLength: TAG_LENGTH });
  cipher.setAAD(concat([Uint8Array.of(sc), k.ak, challenge]));
  cipher.final();
  return concat([
    Uint8Array.from([sc, ic >>> 24, (ic >>> 16) & 0xff, (ic >>> 8) & 0xff, ic & 0xff]),
    cipher.getAuthTag(),
  ]);
}

/** Verify a peer's f(challenge); returns its invocation counter. */
export function verifyGmacResponse(
  answer: Uint8Array,
  challenge: Uint8Array,
  systemTitle: Uint8Array,
  k: CipherKeys,
): number {
  if (answer.length !== 5 + TAG_LENGTH || answer[0] !== SC_AUTH)
    throw new DlmsError('MG_ERR_DLMS_AUTH', 'HLS-GMAC answer is not SC 0x10 || IC || 12-byte tag');
  const ic = ((answer[1]! << 24) | (answer[2]! << 16) | (answer[3]! << 8) | answer[4]!) >>> 0;
  const expect = gmacResponse(challenge, systemTitle, ic, k);
  let diff = 0;
  for (let i = 0; i < expect.length; i++) diff |= expect[i]! ^ answer[i]!;
  if (diff)
    throw new DlmsError('MG_ERR_DLMS_AUTH', 'HLS-GMAC answer does not verify (wrong key or challenge)');
  return ic;
}

/** Service-specific glo-/ded- tags (IEC 62056-5-3 §8.2, the xDLMS-APDU CHOICE). */
export const GLO_TAG: Record<number, number> = {
  0x01: 0x21,
  0x08: 0x28,
  0xc0: 0xc8,
  0xc1: 0xc9,
  0xc2: 0xca,
  0xc3: 0xcb,
  0xc4: 0xcc,
  0xc5: 0xcd,
  0xc7: 0xcf,
};
export const DED_TAG: Record<number, number> = {
  0xc0: 0xd0,
  0xc1: 0xd1,
  0xc2: 0xd2,
  0xc3: 0xd3,
  0xc4: 0xd4,
  0xc5: 0xd5,
  0xc7: 0xd7,
};
const GLO_TAGS = new Set(Object.values(GLO_TAG));
const DED_TAGS = new Set(Object.values(DED_TAG));

export function isCiphered(tag: number): boolean {
  return tag === 0xdb || tag === 0xdc || GLO_TAGS.has(tag) || DED_TAGS.has(tag);
}

export interface CipheredApdu {
  readonly tag: number;
  /** Present for general-glo/ded-ciphering only. */
  readonly systemTitle?: Uint8Array;
  readonly dedicated: boolean;
  readonly content: Uint8Array;
}

export function encodeGeneralCiphering(
  systemTitle: Uint8Array,
  content: Uint8Array,
  dedicated = false,
): Uint8Array {
  return new ByteWriter(content.length + 16)
    .u8(dedicated ? 0xdc : 0xdb)
    .axdrLength(systemTitle.length)
    .bytes(systemTitle)
    .axdrLength(content.length)
    .bytes(content)
    .result();
}

export function encodeServiceCiphering(tag: number, content: Uint8Array): Uint8Array {
  return new ByteWriter(content.length + 4).u8(tag).axdrLength(content.length).bytes(content).result();
}

export function decodeCiphered(bytes: Uint8Array): CipheredApdu {
  const r = new ByteReader(bytes);
  const tag = r.u8('ciphered APDU tag');
  if (!isCiphered(tag)) r.fail(`0x${tag.toString(16)} is not a ciphered APDU`);
  let systemTitle: Uint8Array | undefined;
  if (tag === 0xdb || tag === 0xdc)
    systemTitle = r.bytes(r.axdrLength('system title length'), 'system title').slice();
  const content = r.bytes(r.axdrLength('ciphered content length'), 'ciphered content').slice();
  if (r.remaining) r.fail('bytes after the ciphered content');
  return { tag, systemTitle, dedicated: tag === 0xdc || DED_TAGS.has(tag), content };
}
