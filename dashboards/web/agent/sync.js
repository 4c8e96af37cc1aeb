// @ts-check
/**
 * Sending the queued indexes when the network is back. Each is POSTed with the `readAt` fixed when
 * it was typed: the server keys a round's readings on (round, meter, readAt), so an index whose
 * answer was lost on the way is answered again, not stored twice. A network failure or a server
 * error stops the run and leaves the rest pending for the next one; a refusal (4xx: round
 * suspended, meter not on the round…) is final and shown with the server's message.
 */
import { call, online } from './api.js';
import { allReadings, putReading } from './queue-db.js';

/** @type {Promise<{ sent: number, stopped: boolean }> | undefined} */
let running;

/** Sync the pending indexes, oldest first; one run at a time (a second caller joins the first). */
export function syncPending() {
  running ??= run().finally(() => {
    running = undefined;
  });
  return running;
}

async function run() {
  let sent = 0;
  const pending = (await allReadings())
    .filter((r) => r.state === 'pending')
    .sort((a, b) => a.readAt.localeCompare(b.readAt));
  for (const r of pending) {
    if (!online()) return { sent, stopped: true };
    const res = await call('POST', `/api/reading-rounds/${encodeURIComponent(r.round)}/readings`, {
      meter: r.meter,
      index: r.index,
      readAt: r.readAt,
      ...(r.anomaly ? { anomaly: r.anomaly } : {}),
      ...(r.position ? { position: r.position } : {}),
      ...(r.photo ? { photo: r.photo } : {}),
    });
    if (
      res.status === 0 ||
      res.status >= 500 ||
      res.status === 401 ||
      res.status === 403 ||
      res.status === 429
    ) {
      return { sent, stopped: true };
    }
    if (res.ok) {
      await putReading({
        ...r,
        state: res.data.status,
        ...(res.data.reason ? { reason: res.data.reason } : {}),
      });
    } else {
      await putReading({ ...r, state: 'rejected', reason: res.data?.message ?? `HTTP ${res.status}` });
    }
    sent++;
  }
  return { sent, stopped: false };
}
