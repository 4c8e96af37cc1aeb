/** What one poll of one meter yields: OBIS-keyed numbers, or why not. */
export type PollResult =
  | {
      ok: true;
      values: Record<string, number>;
      /** OBIS codes of register blocks that failed while others were read (published as `missing`). */
      missing?: string[];
      /** Why those blocks failed. */
      partial?: string;
      /** Entries of a meter's own load profile, published as historical readings (DLMS). */
      historical?: { ts: string; values: Record<string, number> }[];
      /** Called once the historical readings are in the durable outbox (advances the reader's cursor). */
      commit?: () => void;
    }
  | { ok: false; reason: string };

/** A meter as the scheduler sees it: Modbus (either transport), IEC 62056-21 or DLMS/COSEM. */
export interface MeterReader {
  readonly source: 'modbus-tcp' | 'modbus-rtu' | 'iec62056-21' | 'dlms';
  poll(): Promise<PollResult>;
}
