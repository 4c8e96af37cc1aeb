import '../errors.js';
import { randomUUID } from 'node:crypto';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';

/** A billing run's progress as the API and the CLI show it. */
export interface RunView {
  id: string;
  period: string;
  status: 'running' | 'completed' | 'failed';
  total: number;
  issued: number;
  skipped: number;
  failed: number;
  /** (issued + skipped + failed) / total, 1 when there is nothing to bill. */
  progress: number;
  errors: { contract: string; code: string; message: string }[];
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

const COLUMNS = `id, period, status, total, issued, skipped, failed, errors, cursor, requested_by AS "requestedBy",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

type Row = Omit<RunView, 'progress' | 'startedAt' | 'finishedAt'> & {
  cursor: string;
  startedAt: Date;
  finishedAt: Date | null;
};

function view(r: Row): RunView & { cursor: string } {
  const done = r.issued + r.skipped + r.failed;
  return {
    ...r,
    progress: r.total === 0 ? (r.status === 'running' ? 0 : 1) : Math.min(1, done / r.total),
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
  };
}

export async function createRunRow(db: SqlExecutor, period: string, requestedBy: string): Promise<RunView> {
  const busy = await db.query<{ id: string }>(
    `SELECT id FROM billing_runs WHERE period = $1 AND status = 'running'`,
    [period],
  );
  if (busy.rows[0])
    throw new GatewayError('MG_ERR_BILLING_RUN_BUSY', {
      params: { period },
      details: { runId: busy.rows[0].id },
    });
  const id = `run-${period}-${randomUUID().slice(0, 8)}`;
  const { rows } = await db.query<Row>(
    `INSERT INTO billing_runs (id, period, status, requested_by) VALUES ($1, $2, 'running', $3) RETURNING ${COLUMNS}`,
    [id, period, requestedBy],
  );
  return view(rows[0]!);
}

export async function loadRun(db: SqlExecutor, id: string): Promise<RunView & { cursor: string }> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM billing_runs WHERE id = $1`, [id]);
  if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_RUN', { params: { id } });
  return view(rows[0]);
}

/** The latest runs, newest first (the operators' run view). */
export async function listRuns(db: SqlExecutor, limit = 20): Promise<RunView[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM billing_runs ORDER BY started_at DESC, id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => {
    const { cursor: _c, ...v } = view(r);
    return v;
  });
}

export async function runningRuns(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM billing_runs WHERE status = 'running' ORDER BY started_at`,
  );
  return rows.map((r) => r.id);
}

export async function setRunTotal(db: SqlExecutor, id: string, total: number): Promise<void> {
  await db.query('UPDATE billing_runs SET total = $2 WHERE id = $1', [id, total]);
}

/** Advances the run in the SAME transaction as the batch's bills, so the counts are exact after a crash. */
export async function advanceRun(
  tx: SqlExecutor,
  id: string,
  delta: { issued: number; skipped: number; failed: number; cursor: string; errors: RunView['errors'] },
): Promise<void> {
  await tx.query(
    `UPDATE billing_runs SET issued = issued + $2, skipped = skipped + $3, failed = failed + $4, cursor = $5,
       errors = CASE WHEN jsonb_array_length(errors) >= 100 THEN errors ELSE errors || $6::jsonb END
     WHERE id = $1`,
    [id, delta.issued, delta.skipped, delta.failed, delta.cursor, JSON.stringify(delta.errors.slice(0, 100))],
  );
}

export async function finishRun(db: SqlExecutor, id: string, status: 'completed' | 'failed'): Promise<void> {
  await db.query(`UPDATE billing_runs SET status = $2, finished_at = now() WHERE id = $1`, [id, status]);
}
