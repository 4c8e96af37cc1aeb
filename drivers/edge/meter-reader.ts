/** What one poll of one meter yields: OBIS-keyed numbers, or why not. */
export type PollResult = { ok: true; values: Record<string, number> } | { ok: false; reason: string };

/** A meter as the scheduler sees it: Modbus (either transport) or IEC 62056-21. */
export interface MeterReader {
  readonly source: 'modbus-tcp' | 'modbus-rtu' | 'iec62056-21';
  poll(): Promise<PollResult>;
}
