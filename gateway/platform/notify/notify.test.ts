import { describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../db/index.js';
import { InProcessJobRunner } from '../jobs/index.js';
import type { NotificationChannel } from './channels/channel.js';
import { signWebhook, verifyWebhook } from './channels/webhook.js';
import { runDeliveryScenario } from './delivery-scenario.js';
import { parseNotification } from './notification-jobs.js';
import { Notifier } from './notifier.js';
import { validatePreferences } from './preferences.js';
import { renderMessage } from './templates.js';

describe('templates', () => {
  it('speaks French and English with numbers formatted per language', () => {
    const p = {
      meterId: 'M1',
      current: 1234.5,
      reference: 600,
      unit: 'kWh',
      from: '2026-11-14',
      to: '2026-11-20',
    };
    expect(renderMessage('high_consumption', 'fr', p).text).toMatch(
      /^Votre consommation est anormalement élevée par rapport à la même période de l’année dernière \(compteur M1 : 1\s234,5 kWh/,
    );
    expect(renderMessage('high_consumption', 'en', p).text).toMatch(
      /^Your consumption is abnormally high .*1,234\.5 kWh/,
    );
    expect(() => renderMessage('low_credit', 'fr', { meterId: 'M1' })).toThrow(/needs parameter credit/);
  });
});

describe('webhook signature', () => {
  it('verifies its own signature, rejects tampering and stale timestamps', () => {
    const now = 1_790_000_000;
    const h = signWebhook('s3cret', '{"a":1}', now);
    expect(verifyWebhook('s3cret', h, '{"a":1}', { now })).toBe(true);
    expect(verifyWebhook('s3cret', h, '{"a":2}', { now })).toBe(false);
    expect(verifyWebhook('other', h, '{"a":1}', { now })).toBe(false);
    expect(verifyWebhook('s3cret', h, '{"a":1}', { now: now + 3600 })).toBe(false);
    expect(verifyWebhook('s3cret', 'garbage', '{"a":1}', { now })).toBe(false);
  });
});

describe('untrusted input', () => {
  it('names what is wrong in preferences and job payloads', () => {
    expect(validatePreferences({ customerId: 'C', language: 'de' as never, channels: [] })).toEqual({
      ok: false,
      reason: 'language must be fr, ar or en',
    });
    expect(
      validatePreferences({ customerId: 'C', language: 'fr', channels: ['sms'], smsTo: 'abc' }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/phone number/),
    });
    expect(parseNotification({ idempotencyKey: 'k', customerId: 'C', kind: 'nope' })).toEqual({
      ok: false,
      reason: 'unknown kind nope',
    });
    expect(parseNotification(null)).toMatchObject({ ok: false });
  });
});

describe('Notifier', () => {
  it('resends only the channel that failed, and respects muted kinds', async () => {
    const db = await new PgliteDatabase().start();
    try {
      const sent: string[] = [];
      let smsUp = false;
      const fake = (name: 'sms' | 'email'): NotificationChannel => ({
        name,
        async send(m) {
          if (name === 'sms' && !smsUp) throw new Error('gateway down');
          sent.push(`${name}:${m.language}:${m.subject}`);
        },
      });
      const notifier = new Notifier({ db, channels: [fake('sms'), fake('email')] });
      await notifier.start();
      await notifier.preferencesStore.set({
        customerId: 'C1',
        language: 'en',
        channels: ['sms', 'email'],
        smsTo: '+212600000002',
        emailTo: 'a@b.test',
        mutedKinds: ['advance_granted'],
      });
      const n = {
        idempotencyKey: 'k1',
        customerId: 'C1',
        kind: 'low_credit' as const,
        params: { meterId: 'M', credit: 3, unit: 'kWh' },
      };
      await expect(notifier.deliver(n)).rejects.toMatchObject({ code: 'MG_ERR_NOTIFY_CHANNEL_FAILED' });
      expect(sent).toEqual(['email:en:Low credit']);
      smsUp = true;
      const r = await notifier.deliver(n);
      expect(r).toMatchObject({ sent: ['sms'], skipped: ['email'] });
      expect(sent).toEqual(['email:en:Low credit', 'sms:en:Low credit']);
      expect(
        (await notifier.deliver({ ...n, idempotencyKey: 'k2', kind: 'advance_granted', params: {} }))
          .suppressed,
      ).toBe('muted');
      expect((await notifier.deliver({ ...n, customerId: 'nobody' })).suppressed).toBe('no_preferences');
      expect(await notifier.preferencesStore.get('C1')).not.toHaveProperty('webhookSecret');
    } finally {
      await db.close();
    }
  });

  it('keeps a channel the customer chose but nobody provides in the outbox, in Arabic', async () => {
    const db = await new PgliteDatabase().start();
    try {
      const notifier = new Notifier({ db, channels: [] });
      await notifier.start();
      await notifier.preferencesStore.set({
        customerId: 'C2',
        language: 'ar',
        channels: ['sms', 'email'],
        smsTo: '+212600000003',
        emailTo: 'c2@example.test',
      });
      const n = {
        idempotencyKey: 'low-M2-1',
        customerId: 'C2',
        kind: 'low_credit' as const,
        params: { meterId: 'M2', credit: 2.5, unit: 'kWh' },
      };
      expect(await notifier.deliver(n)).toMatchObject({ sent: ['sms', 'email'], failed: [] });
      expect(await notifier.deliver(n)).toMatchObject({ sent: [], skipped: ['sms', 'email'] });
      const messages = await notifier.outbox.list({ to: '+212600000003' });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ status: 'outbox-only', template: 'low_credit' });
      expect(messages[0]!.text).toBe(
        'رصيد عداد الدفع المسبق M2 منخفض (2,5 kWh). يرجى إعادة الشحن لتفادي الانقطاع.',
      );
    } finally {
      await db.close();
    }
  });

  it('delivers exactly once to real local receivers that fail first (in-process runner, PGlite)', async () => {
    const db = await new PgliteDatabase().start();
    try {
      await runDeliveryScenario(new InProcessJobRunner(), db);
    } finally {
      await db.close();
    }
  });
});
