import type { SqlExecutor } from '../../platform/index.js';

/**
 * The link between the agency's connection requests (customers domain) and installation work orders.
 * The customers domain may not import this one, so the composition root wires both directions:
 * a filed connection request opens a work order (`WorkOrders.openForRequest`, in the filing's
 * transaction), and the work order's progress moves the request (`RequestDesk.advance`).
 */

/** A connection request as the field domain needs it: who, and where to install. */
export interface ConnectionRequest {
  trackingNumber: string;
  customerId: string;
  address: string | null;
  /** The position the customer gave (WGS 84), if any. */
  lat?: number;
  lon?: number;
  subject?: string;
}

/** What the field domain asks of the agency's request desk. */
export interface RequestDesk {
  /** The open connection request under this number, or undefined. */
  findConnectionRequest(trackingNumber: string): Promise<ConnectionRequest | undefined>;
  /**
   * Moves the request forward (never back) inside the caller's transaction; returns what tells the
   * customer (the status SMS), to run once the transaction has committed.
   */
  advance(
    tx: SqlExecutor,
    trackingNumber: string,
    status: 'in-progress' | 'resolved',
    note: string,
  ): Promise<(() => Promise<void>) | undefined>;
}
