import { defaultMaxDaily, RollupEngine, type ReadingStore } from '../../metering/index.js';
import { GatewayError, invalidRequest, type SqlDatabase } from '../../platform/index.js';
import { areaCondition, parseArea } from '../area.js';
import { knownMeters } from '../known-meters.js';
import { checkRoundIndex, expectedRange, type KnownIndex } from './round-plausibility.js';
import { nearestNeighbourOrder } from './walking-order.js';

/** The register a round reads when no contract names one: active energy import (IEC 62056-61). */
export const DEFAULT_ROUND_OBIS = '1-0:1.8.0';
/** A meter with no remote reading for this long is read by hand in a round, even if not marked manual. */
const SILENT_FOR_ROUND_MS = 2 * 86_400_000;
const FUTURE_SLACK_MS = 5 * 60_000;

export interface RoundMeter {
  meter: string;
  seq: number;
  obis: string;
  address: string | null;
  lat: number;
  lon: number;
  previousIndex: number | null;
  previousAt: string | null;
  expectedMin: number | null;
  expectedMax: number | null;
  read: boolean;
}

export interface Round {
  id: string;
  area: string;
  period: string;
  reader: string;
  status: 'open' | 'suspended' | 'closed';
  meters: RoundMeter[];
}

export interface RoundReadingInput {
  meter: string;
  index: number;
  readAt: Date;
  anomaly?: string;
  position?: { lat: number; lon: number };
  photo?: string;
}

/** A round as the reader's phone lists it: its progress, without the meters. */
export interface RoundSummary {
  id: string;
  area: string;
  period: string;
  reader: string;
  status: Round['status'];
  meters: number;
  read: number;
}

export type RoundReadingResult = { status: 'accepted' | 'implausible'; reason?: string; workOrder?: string };

export interface ReadingRoundsOptions {
  db: SqlDatabase;
  /** Where an accepted index goes: the meter's readings (quality `real`, source `meter-reader`). */
  readings?: ReadingStore;
  maxDailyConsumption?: (obis: string) => number;
  now?: () => Date;
}

/**
 * Meter-reading rounds (relève): the hand-read meters of an area for a billing period, in walking
 * order with each meter's expected range; an accepted index becomes a `real` reading of the meter
 * and its daily rollup (so billing, the estimator and the prior-year comparison see it as they see a
 * remote index); an implausible one is kept, never billed, and raises a re-read work order.
 */
export class ReadingRounds {
  private readonly o: ReadingRoundsOptions;
  private readonly rollups: RollupEngine | undefined;

  constructor(options: ReadingRoundsOptions) {
    this.o = options;
    // No cursor cache: a hand-read meter has no ingest pipeline writing the same registers.
    this.rollups =
      options.readings && new RollupEngine({ db: options.db, source: options.readings, cursorCacheSize: 0 });
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private maxPerDay(obis: string): number {
    return (this.o.maxDailyConsumption ?? defaultMaxDaily)(obis);
  }

  /** The last real index of a register before `at`: measured rollups, self-readings, earlier rounds. */
  private async lastIndex(meter: string, obis: string, at: Date): Promise<KnownIndex | undefined> {
    const { rows } = await this.o.db.query<{ v: number; at: Date }>(
      `SELECT v, at FROM (
         (SELECT last_value AS v, (day + 1)::timestamp AT TIME ZONE 'UTC' AS at FROM daily_consumption
           WHERE meter_id = $1 AND obis = $2 AND quality IN ('measured', 'customer') AND last_value IS NOT NULL
             AND day < $3::date ORDER BY day DESC LIMIT 1)
         UNION ALL
         (SELECT index_value, read_at FROM self_readings WHERE meter_id = $1 AND obis = $2 AND status = 'accepted'
             AND read_at <= $3 ORDER BY read_at DESC LIMIT 1)
         UNION ALL
         (SELECT r.index_value, r.read_at FROM field_round_readings r JOIN field_round_meters m
             ON m.round_id = r.round_id AND m.meter_id = r.meter_id
           WHERE r.meter_id = $1 AND m.obis = $2 AND r.status = 'accepted' AND r.read_at <= $3
           ORDER BY r.read_at DESC LIMIT 1)
       ) k ORDER BY at DESC LIMIT 1`,
      [meter, obis, at],
    );
    return rows[0] && { index: rows[0].v, at: rows[0].at };
  }

  async create(input: { area: string; period: string; reader: string }): Promise<Round> {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(input.period)) {
      throw invalidRequest({ field: 'body/period', reason: 'a month YYYY-MM' });
    }
    const area = parseArea(input.area);
    const cond = areaCondition(area, 2);
    const { rows } = await this.o.db.query<{
      meter: string;
      address: string | null;
      lat: number;
      lon: number;
    }>(
      `SELECT p.meter_id AS meter, p.address, p.lat, p.lon
         FROM field_points p LEFT JOIN field_transformers t ON t.id = p.transformer_id
         LEFT JOIN meter_last_reading lr ON lr.meter_id = p.meter_id
        WHERE ${cond.sql} AND (p.reading = 'manual' OR lr.ts IS NULL OR lr.ts < $1)`,
      [new Date(this.now().getTime() - SILENT_FOR_ROUND_MS), ...cond.params],
    );
    const ordered = nearestNeighbourOrder(rows);
    const known = await knownMeters(
      this.o.db,
      ordered.map((m) => m.meter),
    );
    const now = this.now();
    const members: (string | number | Date | null)[][] = [];
    for (const [i, m] of ordered.entries()) {
      const obis = known.get(m.meter)?.obis ?? DEFAULT_ROUND_OBIS;
      const prev = await this.lastIndex(m.meter, obis, now);
      members.push([m.meter, i + 1, obis, prev?.index ?? null, prev?.at ?? null]);
    }
    const id = await this.o.db.transaction(async (tx) => {
      const round = await tx.query<{ id: string }>(
        `INSERT INTO field_rounds (area, period, reader) VALUES ($1, $2, $3) RETURNING id::text AS id`,
        [input.area, input.period, input.reader],
      );
      const roundId = round.rows[0]!.id;
      for (const m of members) {
        await tx.query(
          `INSERT INTO field_round_meters (round_id, meter_id, seq, obis, previous_index, previous_at)
           VALUES ($1::bigint, $2, $3, $4, $5, $6)`,
          [roundId, ...m],
        );
      }
      return roundId;
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Round | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const round = await this.o.db.query<Omit<Round, 'meters'>>(
      `SELECT id::text AS id, area, period, reader, status FROM field_rounds WHERE id = $1::bigint`,
      [id],
    );
    if (!round.rows[0]) return undefined;
    const { rows } = await this.o.db.query<{
      meter: string;
      seq: number;
      obis: string;
      address: string | null;
      lat: number;
      lon: number;
      previousIndex: number | null;
      previousAt: Date | null;
      read: boolean;
    }>(
      `SELECT m.meter_id AS meter, m.seq, m.obis, p.address, p.lat, p.lon, m.previous_index AS "previousIndex",
              m.previous_at AS "previousAt",
              EXISTS (SELECT 1 FROM field_round_readings r WHERE r.round_id = m.round_id AND r.meter_id = m.meter_id
                       AND r.status = 'accepted') AS read
         FROM field_round_meters m JOIN field_points p ON p.meter_id = m.meter_id
        WHERE m.round_id = $1::bigint ORDER BY m.seq`,
      [id],
    );
    const now = this.now();
    return {
      ...round.rows[0],
      meters: rows.map((r) => {
        const range = expectedRange(
          r.previousIndex === null || !r.previousAt
            ? undefined
            : { index: r.previousIndex, at: r.previousAt },
          now,
          this.maxPerDay(r.obis),
        );
        return {
          ...r,
          previousAt: r.previousAt ? r.previousAt.toISOString() : null,
          expectedMin: range?.min ?? null,
          expectedMax: range?.max ?? null,
        };
      }),
    };
  }

  /** Who a round is assigned to (undefined for an unknown round): the reader scope's check. */
  async readerOf(id: string): Promise<string | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await this.o.db.query<{ reader: string }>(
      'SELECT reader FROM field_rounds WHERE id = $1::bigint',
      [id],
    );
    return rows[0]?.reader;
  }

  /** Rounds, newest first: a reader's own (`reader`), or those in one status. */
  async list(filter: { reader?: string; status?: Round['status'] } = {}): Promise<RoundSummary[]> {
    const { rows } = await this.o.db.query<RoundSummary>(
      `SELECT r.id::text AS id, r.area, r.period, r.reader, r.status,
              (SELECT count(*)::int FROM field_round_meters m WHERE m.round_id = r.id) AS meters,
              (SELECT count(DISTINCT x.meter_id)::int FROM field_round_readings x
                WHERE x.round_id = r.id AND x.status = 'accepted') AS read
         FROM field_rounds r
        WHERE ($1::text IS NULL OR r.reader = $1) AND ($2::text IS NULL OR r.status = $2)
        ORDER BY r.id DESC LIMIT 200`,
      [filter.reader ?? null, filter.status ?? null],
    );
    return rows;
  }

  async setStatus(id: string, status: Round['status']): Promise<Round> {
    const { rowCount } = await this.o.db.query('UPDATE field_rounds SET status = $2 WHERE id = $1::bigint', [
      id,
      status,
    ]);
    if (!rowCount) throw new GatewayError('MG_ERR_FIELD_ROUND_NOT_FOUND', { params: { id } });
    return (await this.get(id))!;
  }

  /** One index typed in on the round; the same (meter, readAt) again answers as the first time. */
  async submit(id: string, input: RoundReadingInput): Promise<RoundReadingResult> {
    const round = /^\d{1,18}$/.test(id)
      ? (
          await this.o.db.query<{ status: string }>('SELECT status FROM field_rounds WHERE id = $1::bigint', [
            id,
          ])
        ).rows[0]
      : undefined;
    if (!round) throw new GatewayError('MG_ERR_FIELD_ROUND_NOT_FOUND', { params: { id } });
    const member = (
      await this.o.db.query<{ obis: string }>(
        'SELECT obis FROM field_round_meters WHERE round_id = $1::bigint AND meter_id = $2',
        [id, input.meter],
      )
    ).rows[0];
    if (!member)
      throw new GatewayError('MG_ERR_FIELD_METER_NOT_IN_ROUND', { params: { id, meterId: input.meter } });
    const earlier = (
      await this.o.db.query<{ status: 'accepted' | 'implausible'; reason: string | null }>(
        'SELECT status, reason FROM field_round_readings WHERE round_id = $1::bigint AND meter_id = $2 AND read_at = $3',
        [id, input.meter, input.readAt],
      )
    ).rows[0];
    if (earlier) return { status: earlier.status, ...(earlier.reason ? { reason: earlier.reason } : {}) };
    if (round.status !== 'open') {
      throw new GatewayError('MG_ERR_FIELD_ROUND_CLOSED', { params: { id, status: round.status } });
    }
    if (input.readAt.getTime() > this.now().getTime() + FUTURE_SLACK_MS) {
      throw invalidRequest({ field: 'body/readAt', reason: 'in the future' });
    }
    const previous = await this.lastIndex(input.meter, member.obis, input.readAt);
    const check = checkRoundIndex(input.index, input.readAt, previous, this.maxPerDay(member.obis));
    const status = check.ok ? 'accepted' : 'implausible';
    const reason = check.ok ? null : check.reason;
    const inserted = await this.o.db.query(
      `INSERT INTO field_round_readings (round_id, meter_id, index_value, read_at, status, reason, anomaly, lat, lon, photo)
       VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (round_id, meter_id, read_at) DO NOTHING`,
      [
        id,
        input.meter,
        input.index,
        input.readAt,
        status,
        reason,
        input.anomaly ?? null,
        input.position?.lat ?? null,
        input.position?.lon ?? null,
        input.photo ?? null,
      ],
    );
    if (!inserted.rowCount) return this.submit(id, input); // a concurrent sync of the same index won
    if (!check.ok) {
      const wo = await this.o.db.query<{ id: string }>(
        `INSERT INTO field_work_orders (kind, meter_id, details) VALUES ('re-read', $1, $2) RETURNING id::text AS id`,
        [
          input.meter,
          JSON.stringify({ round: id, index: input.index, readAt: input.readAt.toISOString(), reason }),
        ],
      );
      return { status, reason: check.reason, workOrder: wo.rows[0]!.id };
    }
    await this.record(input.meter, member.obis, input.index, input.readAt);
    return { status };
  }

  /** The accepted index as the meter's reading (quality real, source meter-reader) and its rollup. */
  private async record(meter: string, obis: string, index: number, readAt: Date): Promise<void> {
    if (!this.o.readings || !this.rollups) return;
    const stored = this.o.readings.write([
      {
        meterId: meter,
        ts: readAt,
        seq: 0,
        values: { [obis]: index },
        quality: 'real',
        source: 'meter-reader',
        historical: true,
      },
    ]);
    await stored;
    await this.rollups.apply([{ meterId: meter, obis, ts: readAt.getTime(), value: index }], { stored });
  }
}
