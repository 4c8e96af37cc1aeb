import type tls from 'node:tls';
import type { TopicScheme } from '../protocol/index.js';
import { decidePublish } from './acl.js';
import type { CredentialStore } from './credential-store.js';
import { identityFromCertificate, type RevocationList } from './device-ca.js';
import type { RefusalReason } from './errors.js';
import { makeIdentity, type DeviceIdentity, type Role } from './identity.js';
import { dummyPasswordHash, verifyPassword } from './password-hash.js';

/**
 * Who is this connection? A verified device certificate (TLS listener), else username/password
 * against the credential store, else anonymous if allowed. Deny by default; the result is tagged,
 * never thrown, because the input is untrusted.
 */
// MQTT 3.1.1 §3.2.2.3 CONNACK return codes.
export const CONNACK_BAD_USER_OR_PASSWORD = 4;
export const CONNACK_NOT_AUTHORIZED = 5;

export interface AuthPolicy {
  scheme: TopicScheme;
  credentials?: CredentialStore | undefined;
  allowAnonymous?: boolean | undefined;
  anonymousRole?: Role | undefined;
  revocations?: RevocationList | undefined;
}

export interface ConnectAttempt {
  clientId: string;
  /** The TLS socket when the client came in over TLS (its peer certificate is checked). */
  tlsSocket?: tls.TLSSocket | undefined;
  username?: string | undefined;
  password?: Buffer | undefined;
  /** The CONNECT's will, authorised now because it may be published later with no client attached. */
  willTopic?: string | undefined;
}

export type AuthOutcome =
  | { ok: true; identity: DeviceIdentity }
  | { ok: false; reason: RefusalReason; returnCode: number; detail: string; topic?: string };

const refuse = (reason: RefusalReason, returnCode: number, detail: string, topic?: string): AuthOutcome => ({
  ok: false,
  reason,
  returnCode,
  detail,
  ...(topic !== undefined ? { topic } : {}),
});

export async function authenticateDevice(policy: AuthPolicy, a: ConnectAttempt): Promise<AuthOutcome> {
  const outcome = await identify(policy, a);
  if (!outcome.ok || a.willTopic === undefined) return outcome;
  // A device may only leave a will it could publish itself.
  const d = decidePublish(outcome.identity, a.willTopic, policy.scheme);
  return d.ok
    ? outcome
    : refuse('acl-publish', CONNACK_NOT_AUTHORIZED, `will refused: ${d.reason}`, a.willTopic);
}

async function identify(policy: AuthPolicy, a: ConnectAttempt): Promise<AuthOutcome> {
  const store = policy.credentials;
  const cert = a.tlsSocket?.getPeerCertificate();
  if (cert && Object.keys(cert).length > 0) {
    // The TLS layer already refused certificates that do not chain to the device CA or are expired.
    const who = identityFromCertificate(cert);
    if (!who.ok) return refuse('bad-certificate', CONNACK_NOT_AUTHORIZED, who.reason);
    if (await policy.revocations?.isRevoked(who.serial)) {
      return refuse('revoked-certificate', CONNACK_NOT_AUTHORIZED, `certificate ${who.serial} is revoked`);
    }
    if (a.username !== undefined && a.username !== who.id) {
      return refuse(
        'certificate-mismatch',
        CONNACK_NOT_AUTHORIZED,
        `username ${a.username} differs from certificate ${who.id}`,
      );
    }
    const rec = await store?.lookup(who.id);
    if (rec && rec.role !== who.role) {
      return refuse(
        'certificate-mismatch',
        CONNACK_NOT_AUTHORIZED,
        `certificate role ${who.role} differs from record role ${rec.role}`,
      );
    }
    return { ok: true, identity: makeIdentity(who.role, who.id, rec?.meters ?? [], 'certificate') };
  }

  if (a.username === undefined || a.username === '') {
    if (!policy.allowAnonymous)
      return refuse('anonymous', CONNACK_NOT_AUTHORIZED, 'anonymous clients are not allowed');
    return {
      ok: true,
      identity: makeIdentity(policy.anonymousRole ?? 'dashboard', a.clientId, [], 'anonymous'),
    };
  }
  const rec = await store?.lookup(a.username);
  const hash = rec?.passwordHash;
  // Unknown users cost a full scrypt too, so timing does not reveal which usernames exist.
  const ok = await verifyPassword(a.password ?? Buffer.alloc(0), hash ?? (await dummyPasswordHash()));
  if (!rec || !hash) return refuse('unknown-user', CONNACK_BAD_USER_OR_PASSWORD, 'bad user name or password');
  if (!ok) return refuse('bad-credentials', CONNACK_BAD_USER_OR_PASSWORD, 'bad user name or password');
  return { ok: true, identity: makeIdentity(rec.role, rec.username, rec.meters, 'password') };
}
