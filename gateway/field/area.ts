import { GatewayError } from '../platform/index.js';

/** An area of the network: a commune, a feeder or a transformer; none = the whole network. */
export type Area = { kind: 'all' } | { kind: 'commune' | 'feeder' | 'transformer'; value: string };

const AREA = /^(commune|feeder|transformer):(.{1,200})$/;

/** `commune:Hay Riad`, `feeder:F1`, `transformer:T-03`; a bare name is a commune. */
export function parseArea(text: string | undefined): Area {
  if (text === undefined || text === '' || text === 'all') return { kind: 'all' };
  const m = AREA.exec(text);
  if (m) return { kind: m[1] as 'commune' | 'feeder' | 'transformer', value: m[2]! };
  if (text.length > 200 || text.includes(':')) throw new GatewayError('MG_ERR_FIELD_BAD_AREA');
  return { kind: 'commune', value: text };
}

/**
 * The SQL condition selecting the connection points `p` (joined to their transformer `t`) of an
 * area, with its parameter at position `$n`.
 */
export function areaCondition(area: Area, n: number): { sql: string; params: unknown[] } {
  switch (area.kind) {
    case 'all':
      return { sql: 'true', params: [] };
    case 'commune':
      return { sql: `p.commune = $${n}`, params: [area.value] };
    case 'feeder':
      return { sql: `t.feeder_id = $${n}`, params: [area.value] };
    case 'transformer':
      return { sql: `p.transformer_id = $${n}`, params: [area.value] };
  }
}
