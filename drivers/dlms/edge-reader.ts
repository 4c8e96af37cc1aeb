import fs from 'node:fs';
import path from 'node:path';
import type { DlmsData } from './axdr.js';
import { numericValue, rowTime, scalerUnitOf, toReadingValue, type ScalerUnit } from './cosem-readings.js';
import { DlmsError } from './errors.js';
import { parseObis, parseObjectRef, type ObjectRef } from './obis.js';
import { byRange } from './selective-access.js';
import { openSession, type Session, type SessionOptions } from './session.js';

/**
 * An edge poll of one DLMS meter: the configured instantaneous objects (with their scaler-unit,
 * read once), and the load profile incrementally — only the entries captured after the last one the
 * edge stored, published as historical readings. The cursor advances only when the edge confirms
 * the entries are in its durable outbox (`commit`), so a meter that drops the association mid-read,
 * or an edge that stops, re-reads the same entries next time instead of losing them.
 */
export interface DlmsPollResult {
  ok: true;
  values: Record<string, number>;
  historical: { ts: string; values: Record<string, number> }[];
  partial?: string;
  /** Call once the historical readings are queued durably. */
  commit: () => void;
}

export interface DlmsEdgeReaderOptions {
  readonly meterId: string;
  readonly session: SessionOptions;
  /** `[CLASS:]OBIS[:ATTR]` references; numeric values whose OBIS code is in the registry are published. */
  readonly objects?: readonly string[];
  readonly profile?: {
    obis: string;
    from?: string;
    maxEntries?: number;
    /** Read the profile at most this often (s); the instantaneous objects follow the poll interval. */
    everySeconds?: number;
  };
  /** Where the profile cursor is kept (one small JSON file per meter). */
  readonly stateDir?: string;
  readonly now?: () => number;
}

export const DEFAULT_OBJECTS = ['3:1.0.1.8.0.255:2', '3:1.0.1.7.0.255:2', '3:1.0.32.7.0.255:2'];
const DAY = 86_400_000;

// Blue Book (DLMS UA 1000-1) §4.5.8 Disconnect control, class_id 70: attribute 2 output_state
// (boolean, TRUE = supply connected), methods 1 remote_disconnect and 2 remote_reconnect, each
// taking data ::= integer (0). The instance is 0-0:96.3.10.255.
const DISCONNECT_CONTROL = { classId: 70, ln: parseObis('0.0.96.3.10.255') };
const OUTPUT_STATE = 2;
const REMOTE_DISCONNECT = 1;
const REMOTE_RECONNECT = 2;

function scalerAttribute(classId: number): number | undefined {
  return classId === 3 || classId === 4 ? 3 : classId === 5 ? 4 : undefined;
}

export class DlmsEdgeReader {
  readonly source = 'dlms' as const;
  private readonly refs: ObjectRef[];
  private readonly scalers = new Map<string, ScalerUnit | null>();
  private columns: { ln: Uint8Array; classId: number; attribute: number; su?: ScalerUnit }[] | undefined;
  private cursor: number | undefined;
  private lastProfileRead = -Infinity;

  /** The disconnect control switches the supply: `cmd/relay` on this meter is an ACTION on it. */
  readonly relayField = 'relay';
  /** One association at a time per meter: a command waits for the poll in progress and vice versa. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: DlmsEdgeReaderOptions) {
    this.refs = (o.objects ?? DEFAULT_OBJECTS).map(parseObjectRef);
    if (o.profile) parseObis(o.profile.obis);
    this.cursor = this.loadCursor();
  }

  private get stateFile(): string | undefined {
    return this.o.stateDir ? path.join(this.o.stateDir, `${this.o.meterId}.profile.json`) : undefined;
  }

  private loadCursor(): number | undefined {
    const f = this.stateFile;
    if (!f || !fs.existsSync(f)) return undefined;
    try {
      const v = (JSON.parse(fs.readFileSync(f, 'utf8')) as { lastEntry?: string }).lastEntry;
      const t = v ? Date.parse(v) : NaN;
      return Number.isFinite(t) ? t : undefined;
    } catch {
      return undefined; // a damaged cursor re-reads from the configured start, never crashes the edge
    }
  }

  private saveCursor(t: number): void {
    this.cursor = t;
    const f = this.stateFile;
    if (!f) return;
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(`${f}.tmp`, JSON.stringify({ lastEntry: new Date(t).toISOString() }));
    fs.renameSync(`${f}.tmp`, f);
  }

  private async scalerOf(
    s: Session,
    ref: { classId: number; ln: Uint8Array },
  ): Promise<ScalerUnit | undefined> {
    const a = scalerAttribute(ref.classId);
    if (a === undefined) return undefined;
    const key = `${ref.classId}/${ref.ln.join('.')}`;
    if (!this.scalers.has(key)) {
      const r = await s.client.get({ classId: ref.classId, ln: ref.ln, attribute: a });
      this.scalers.set(key, scalerUnitOf(r.data) ?? null);
    }
    return this.scalers.get(key) ?? undefined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.queue.then(fn, fn);
    this.queue = r.catch(() => undefined);
    return r;
  }

  poll(): Promise<DlmsPollResult | { ok: false; reason: string }> {
    return this.serial(() => this.pollOnce());
  }

  /**
   * `relay` (false = open, true = close): remote_disconnect / remote_reconnect on the disconnect
   * control, then its output_state read back — a meter that accepts the ACTION but does not switch
   * (its control mode forbids it) is reported as failed. Other fields are not writable over DLMS here.
   */
  writeField(key: string, value: number | boolean): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (key !== this.relayField)
      return Promise.resolve({
        ok: false,
        reason: `field ${key} is not writable on a DLMS meter (only relay)`,
      });
    const connect = value === true || value === 1;
    return this.serial(async () => {
      let session: Session | undefined;
      try {
        session = await openSession(this.o.session);
        await session.client.action(
          { ...DISCONNECT_CONTROL, attribute: connect ? REMOTE_RECONNECT : REMOTE_DISCONNECT },
          { type: 'integer', value: 0 },
        );
        const state = await session.client.get({ ...DISCONNECT_CONTROL, attribute: OUTPUT_STATE });
        await session.close().catch(() => {});
        if (state.data.type === 'boolean' && state.data.value !== connect)
          return {
            ok: false,
            reason: `output_state is still ${state.data.value ? 'connected' : 'disconnected'}`,
          };
        return { ok: true };
      } catch (err) {
        await session?.transport.close().catch(() => {});
        return {
          ok: false,
          reason: err instanceof DlmsError ? `${err.code}: ${err.message}` : (err as Error).message,
        };
      }
    });
  }

  private async pollOnce(): Promise<DlmsPollResult | { ok: false; reason: string }> {
    let session: Session | undefined;
    const values: Record<string, number> = {};
    const historical: DlmsPollResult['historical'] = [];
    let last: number | undefined;
    let partial: string | undefined;
    try {
      session = await openSession(this.o.session);
      for (const ref of this.refs) {
        const r = await session.client.get({ classId: ref.classId, ln: ref.ln, attribute: ref.attribute });
        const su = ref.attribute === 2 ? await this.scalerOf(session, ref) : undefined;
        const v = toReadingValue(ref.ln, r.data, su);
        if (v) values[v.code] = v.value;
      }
      const now = (this.o.now ?? Date.now)();
      const due = now - this.lastProfileRead >= (this.o.profile?.everySeconds ?? 0) * 1000;
      if (this.o.profile && due) {
        try {
          last = await this.readProfile(session, historical);
          this.lastProfileRead = now;
        } catch (err) {
          // The instantaneous values stand; the profile is read again from the same cursor next poll.
          historical.length = 0;
          last = undefined;
          partial = `load profile: ${(err as Error).message}`;
        }
      }
    } catch (err) {
      await session?.transport.close().catch(() => {});
      return {
        ok: false,
        reason: err instanceof DlmsError ? `${err.code}: ${err.message}` : (err as Error).message,
      };
    }
    await session.close().catch(() => {});
    if (Object.keys(values).length === 0 && historical.length === 0)
      return { ok: false, reason: partial ?? 'no configured object gave a registry value' };
    return {
      ok: true,
      values,
      historical,
      ...(partial ? { partial } : {}),
      commit: () => {
        if (last !== undefined) this.saveCursor(last);
      },
    };
  }

  private async readProfile(s: Session, out: DlmsPollResult['historical']): Promise<number | undefined> {
    const p = this.o.profile!;
    const ln = parseObis(p.obis);
    if (!this.columns) {
      const cols = await s.client.get({ classId: 7, ln, attribute: 3 });
      if (cols.data.type !== 'array')
        throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'capture objects are not an array');
      const list = [];
      for (const c of cols.data.value) {
        const f: readonly DlmsData[] = c.type === 'structure' ? c.value : [];
        const [cls, cln, att] = f;
        if (cls?.type !== 'long-unsigned' || cln?.type !== 'octet-string' || att?.type !== 'integer')
          throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'malformed capture object definition');
        const col = { ln: cln.value, classId: cls.value, attribute: att.value };
        list.push({ ...col, su: att.value === 2 ? await this.scalerOf(s, col) : undefined });
      }
      this.columns = list;
    }
    const now = (this.o.now ?? Date.now)();
    const from = this.cursor !== undefined ? this.cursor + 1000 : p.from ? Date.parse(p.from) : now - DAY;
    const r = await s.client.get({ classId: 7, ln, attribute: 2 }, byRange(from, now));
    if (r.data.type !== 'array')
      throw new DlmsError('MG_ERR_DLMS_PROTOCOL', 'profile buffer is not an array');
    let last: number | undefined;
    for (const row of r.data.value.slice(0, p.maxEntries ?? 2000)) {
      const t = rowTime(row);
      if (t === undefined || (this.cursor !== undefined && t <= this.cursor)) continue;
      const cells = row.type === 'structure' ? row.value : [];
      const vals: Record<string, number> = {};
      cells.forEach((cell, i) => {
        const col = this.columns![i];
        if (!col || col.classId === 8 || numericValue(cell) === undefined) return;
        const v = toReadingValue(col.ln, cell, col.su);
        if (v) vals[v.code] = v.value;
      });
      if (Object.keys(vals).length) out.push({ ts: new Date(t).toISOString(), values: vals });
      last = t;
    }
    return last;
  }
}
