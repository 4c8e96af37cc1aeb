import { isValidId } from '../protocol/index.js';

/** Who may connect (ARCHITECTURE.md, security model). */
export const ROLES = ['edge', 'meter', 'dashboard', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * An authenticated device or service. `id` is the edge id, meter id, dashboard or gateway name;
 * `meters` are the meters an edge serves (a meter serves only itself).
 */
export interface DeviceIdentity {
  readonly role: Role;
  readonly id: string;
  readonly meters: ReadonlySet<string>;
  /** How it proved who it is, for logs. */
  readonly via: 'password' | 'certificate' | 'anonymous';
}

export function makeIdentity(
  role: Role,
  id: string,
  meters: Iterable<string>,
  via: DeviceIdentity['via'],
): DeviceIdentity {
  // A meter's only meter is itself, whatever a credentials record says.
  const set = role === 'meter' ? new Set([id]) : new Set([...meters].filter((m) => isValidId(m)));
  return Object.freeze({ role, id, meters: set, via });
}
