import type { JobRunner } from '../jobs/index.js';
import { NotifyError } from './errors.js';
import type { Notification, Notifier } from './notifier.js';
import { isNotificationKind } from './templates.js';

/** Tagged check of a job payload (it crossed Redis: treat as untrusted). */
export function parseNotification(
  data: unknown,
): { ok: true; value: Notification } | { ok: false; reason: string } {
  if (typeof data !== 'object' || data === null) return { ok: false, reason: 'payload is not an object' };
  const d = data as Record<string, unknown>;
  if (typeof d.idempotencyKey !== 'string' || !d.idempotencyKey)
    return { ok: false, reason: 'idempotencyKey missing' };
  if (typeof d.customerId !== 'string' || !d.customerId) return { ok: false, reason: 'customerId missing' };
  if (!isNotificationKind(d.kind)) return { ok: false, reason: `unknown kind ${String(d.kind)}` };
  const params = (d.params ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'string' && typeof v !== 'number')
      return { ok: false, reason: `param ${k} is not a string or number` };
  }
  return {
    ok: true,
    value: {
      idempotencyKey: d.idempotencyKey,
      customerId: d.customerId,
      kind: d.kind,
      params: params as Record<string, string | number>,
    },
  };
}

/** The `notifications` queue's handler: deliver, throwing on a failed channel so the runner retries. */
export function registerNotificationHandler(
  runner: JobRunner,
  notifier: Notifier,
  options: { concurrency?: number } = {},
): void {
  runner.register(
    'notifications',
    async (data) => {
      const parsed = parseNotification(data);
      if (!parsed.ok) throw new NotifyError('MG_ERR_NOTIFY_BAD_REQUEST', parsed.reason);
      return notifier.deliver(parsed.value);
    },
    options,
  );
}

/** Enqueue with the idempotency key as job id: submitting twice queues once. */
export function enqueueNotification(
  runner: JobRunner,
  n: Notification,
  options: { attempts?: number; backoffMs?: number } = {},
): Promise<string> {
  return runner.enqueue('notifications', n, {
    jobId: `notif_${n.idempotencyKey}`,
    attempts: options.attempts ?? 6,
    backoffMs: options.backoffMs ?? 2000,
  });
}
