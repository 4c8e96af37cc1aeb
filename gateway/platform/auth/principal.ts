export const ROLES = ['admin', 'operator', 'vendor', 'customer', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: set on `request.principal` by the auth plugin before any handler runs. */
export interface Principal {
  /** API key id or JWT subject. */
  id: string;
  role: Role;
  /** Set for vendors: their sales are scoped to it. */
  vendorId?: string;
  /** Set for customers: they see only meters of this customer. */
  customerId?: string;
  /** Set for meter readers: they see and post to only the reading rounds assigned to it. */
  readerId?: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
