import type { SqlExecutor } from '../../platform/index.js';
import type { SyncOutcome } from './offline.js';

/**
 * What the reconciliation of offline sales flagged (`POST /api/offline/sync`), named as the sync
 * reported it. Duplicates are not anomalies: a resent sale changes nothing and is not recorded.
 */
export type OfflineAnomalyKind = Exclude<SyncOutcome['status'], 'accepted' | 'duplicate'>;

/** The table stores a price anomaly as 'price'; the API speaks the sync's word, 'price-mismatch'. */
const KIND_OF_ROW: Record<string, OfflineAnomalyKind> = {
  conflict: 'conflict',
  overspend: 'overspend',
  'unknown-meter': 'unknown-meter',
  'tid-used': 'tid-used',
  price: 'price-mismatch',
};
const ROW_OF_KIND = Object.fromEntries(Object.entries(KIND_OF_ROW).map(([row, kind]) => [kind, row]));

export interface OfflineAnomaly {
  /** The device's sale counter of the sale concerned. */
  seq: number;
  kind: OfflineAnomalyKind;
  at: string;
  meterId: string | null;
  /** The booked sale (overspend, price-mismatch); the others were not booked. */
  vendId: string | null;
  /** The money the device took for the sale, when known. */
  money: number | null;
  /** price-mismatch: the units the device sold and the units the centre's pricing gives. */
  units?: number;
  expectedUnits?: number;
  /** overspend: the part past the allowance, and whether the vendor's float covered it. */
  excess?: number;
  covered?: boolean;
  /** tid-used: the TID the meter already had. */
  tid?: number;
  /** conflict, unknown-meter, tid-used: the digits the device reported (not booked). */
  token?: string;
}

export interface OfflineAllowanceAnomalies {
  allowanceId: string;
  vendorId: string;
  deviceId: string;
  amount: number;
  spent: number;
  status: 'open' | 'closed';
  createdAt: string;
  expiresAt: string;
  anomalies: OfflineAnomaly[];
}

export interface AnomalyFilter {
  vendorId?: string;
  deviceId?: string;
  allowanceId?: string;
  kind?: OfflineAnomalyKind;
}

/** At most this many anomalies in one answer, the latest first (narrow with the filters). */
export const ANOMALY_LIMIT = 1000;

interface Row {
  allowance_id: string;
  vendor_id: string;
  device_id: string;
  amount: string | number;
  spent: string | number;
  status: 'open' | 'closed';
  created_at: Date | string;
  expires_at: Date | string;
  seq: number;
  kind: string;
  detail: Record<string, unknown>;
  at: Date | string;
  sale_meter: string | null;
  sale_amount: string | number | null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const iso = (d: Date | string): string => new Date(d).toISOString();

/**
 * The anomalies of offline reconciliation (`GET /api/offline/anomalies`), grouped per allowance
 * (one device's round), devices in order, each allowance's anomalies by sale sequence. The sale's
 * meter and money come from the anomaly's own record or, for a booked or conflicting sale, from
 * the reconciled sale under the same (device, sequence).
 */
export async function listOfflineAnomalies(
  db: SqlExecutor,
  filter: AnomalyFilter,
): Promise<{ allowances: OfflineAllowanceAnomalies[]; truncated: boolean }> {
  const { rows } = await db.query<Row>(
    `SELECT a.id AS allowance_id, a.vendor_id, a.device_id, a.amount, a.spent, a.status, a.created_at,
            a.expires_at, n.seq, n.kind, n.detail, n.at, o.meter_id AS sale_meter, o.amount AS sale_amount
       FROM offline_anomalies n
       JOIN offline_allowances a ON a.id = n.allowance_id
       LEFT JOIN offline_vends o ON o.device_id = n.device_id AND o.seq = n.seq
      WHERE ($1::text IS NULL OR a.vendor_id = $1)
        AND ($2::text IS NULL OR n.device_id = $2)
        AND ($3::text IS NULL OR n.allowance_id = $3)
        AND ($4::text IS NULL OR n.kind = $4)
      ORDER BY n.at DESC, n.id DESC
      LIMIT $5`,
    [
      filter.vendorId ?? null,
      filter.deviceId ?? null,
      filter.allowanceId ?? null,
      filter.kind ? ROW_OF_KIND[filter.kind] : null,
      ANOMALY_LIMIT + 1,
    ],
  );
  const truncated = rows.length > ANOMALY_LIMIT;
  const byAllowance = new Map<string, OfflineAllowanceAnomalies>();
  for (const r of rows.slice(0, ANOMALY_LIMIT)) {
    let group = byAllowance.get(r.allowance_id);
    if (!group) {
      group = {
        allowanceId: r.allowance_id,
        vendorId: r.vendor_id,
        deviceId: r.device_id,
        amount: Number(r.amount),
        spent: Number(r.spent),
        status: r.status,
        createdAt: iso(r.created_at),
        expiresAt: iso(r.expires_at),
        anomalies: [],
      };
      byAllowance.set(r.allowance_id, group);
    }
    const d = r.detail ?? {};
    const kind = KIND_OF_ROW[r.kind]!;
    // Only a booked sale (overspend, price-mismatch) is the reconciled sale under its sequence; a
    // conflict's reconciled sale is another token, and the others were never booked.
    const booked = kind === 'overspend' || kind === 'price-mismatch';
    const money = num(d.money) ?? (booked && r.sale_amount !== null ? Number(r.sale_amount) : null);
    const a: OfflineAnomaly = {
      seq: r.seq,
      kind,
      at: iso(r.at),
      meterId: str(d.meterId) ?? (kind === 'unknown-meter' ? null : r.sale_meter),
      vendId: booked ? (str(d.vendId) ?? null) : null,
      money,
    };
    if (kind === 'price-mismatch') {
      a.units = num(d.units);
      a.expectedUnits = num(d.expectedUnits);
    }
    if (kind === 'overspend') {
      a.excess = num(d.excess);
      a.covered = d.covered === true;
    }
    if (kind === 'tid-used') a.tid = num(d.tid);
    if (str(d.token)) a.token = str(d.token);
    group.anomalies.push(a);
  }
  const allowances = [...byAllowance.values()];
  for (const g of allowances) g.anomalies.sort((x, y) => x.seq - y.seq || x.kind.localeCompare(y.kind));
  allowances.sort((x, y) => x.deviceId.localeCompare(y.deviceId) || y.createdAt.localeCompare(x.createdAt));
  return { allowances, truncated };
}
