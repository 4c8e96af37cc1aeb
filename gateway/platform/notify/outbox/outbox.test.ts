import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations } from '../../db/index.js';
import { NOTIFY_MIGRATIONS } from '../migrations.js';
import { MessageOutbox } from './message-outbox.js';
import { outboxPlugin } from './routes.js';
import { SmsTestSink } from './sms-test-sink.js';

async function database() {
  const db = await new PgliteDatabase().start();
  await runMigrations(db, NOTIFY_MIGRATIONS);
  return db;
}

const sms = {
  channel: 'sms' as const,
  to: '+212600000011',
  template: 'low_credit',
  language: 'fr' as const,
  text: 'Le crédit de votre compteur à prépaiement M1 est faible (3 kWh).',
};

describe('MessageOutbox', () => {
  it('sends once per dedupe key, across a restart, and records the rendered text', async () => {
    const db = await database();
    try {
      const sink = new SmsTestSink();
      const outbox = new MessageOutbox({ db, channels: [sink] });
      const first = await outbox.send({ ...sms, dedupeKey: 'low-credit-M1-1' });
      expect(first).toEqual({ id: expect.stringMatching(/^msg_/), status: 'sent' });
      expect(await outbox.send({ ...sms, dedupeKey: 'low-credit-M1-1' })).toEqual(first);
      // A new process on the same database: still the same message, still not sent again.
      const restarted = new MessageOutbox({ db, channels: [sink] });
      expect(await restarted.send({ ...sms, dedupeKey: 'low-credit-M1-1', text: 'other' })).toEqual(first);
      expect(sink.sent).toEqual([{ to: sms.to, text: sms.text, key: 'low-credit-M1-1' }]);
      const listed = await outbox.list({ to: sms.to });
      expect(listed).toEqual([
        {
          id: first.id,
          channel: 'sms',
          to: sms.to,
          template: 'low_credit',
          text: sms.text,
          status: 'sent',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ]);
    } finally {
      await db.close();
    }
  });

  it('stores a failure with its reason and retries only the failed message, as first rendered', async () => {
    const db = await database();
    try {
      const sink = new SmsTestSink();
      sink.failWith = 'provider answered HTTP 503';
      const outbox = new MessageOutbox({ db, channels: [sink] });
      const failed = await outbox.send({ ...sms, dedupeKey: 'k-fail' });
      expect(failed.status).toBe('failed');
      expect(await outbox.get(failed.id)).toMatchObject({
        status: 'failed',
        reason: 'provider answered HTTP 503',
        attempts: 1,
      });
      sink.failWith = undefined;
      const retried = await outbox.send({ ...sms, dedupeKey: 'k-fail', text: 'changed text' });
      expect(retried).toEqual({ id: failed.id, status: 'sent' });
      expect(sink.sent.map((s) => s.text)).toEqual([sms.text]);
      expect(await outbox.get(failed.id)).toMatchObject({ status: 'sent', reason: null, attempts: 2 });
    } finally {
      await db.close();
    }
  });

  it('keeps SMS and e-mail without a provider in the outbox (outbox-only), Arabic text intact', async () => {
    const db = await database();
    try {
      const outbox = new MessageOutbox({ db, channels: [] });
      const text = 'رصيد عداد الدفع المسبق M1 منخفض (3 kWh).';
      const r = await outbox.send({ ...sms, language: 'ar', text });
      expect(r.status).toBe('outbox-only');
      const mail = await outbox.send({
        channel: 'email',
        to: 'client@example.test',
        template: 'bill_issued',
        language: 'fr',
        subject: 'Votre facture',
        text: 'Votre facture est jointe.',
        attachments: [
          { filename: 'f.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4') },
        ],
      });
      expect(mail.status).toBe('outbox-only');
      expect(await outbox.get(mail.id)).toMatchObject({
        subject: 'Votre facture',
        attachments: [{ filename: 'f.pdf', contentType: 'application/pdf', size: 8 }],
      });
      expect((await outbox.list({ to: sms.to }))[0]!.text).toBe(text);
      expect((await outbox.list()).map((m) => m.channel).sort()).toEqual(['email', 'sms']);
    } finally {
      await db.close();
    }
  });

  it('refuses bad messages before storing anything, naming what is wrong', async () => {
    const db = await database();
    try {
      const outbox = new MessageOutbox({ db, channels: [] });
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...sms, to: 'not-a-number' }, /phone number/],
        [{ ...sms, channel: 'email' }, /e-mail address/],
        [{ ...sms, channel: 'fax' }, /unknown channel fax/],
        [{ ...sms, language: 'de' }, /fr, ar or en/],
        [{ ...sms, text: '  ' }, /text is required/],
        [{ ...sms, template: 'Bad Template' }, /template/],
        [
          {
            ...sms,
            attachments: [{ filename: 'a.pdf', contentType: 'application/pdf', content: Buffer.alloc(1) }],
          },
          /only e-mails carry attachments/,
        ],
      ];
      for (const [input, reason] of cases) {
        await expect(outbox.send(input as never)).rejects.toMatchObject({
          code: 'MG_ERR_OUTBOX_BAD_MESSAGE',
          statusCode: 400,
          message: expect.stringMatching(reason),
        });
      }
      expect(await outbox.list()).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('answers GET /api/outbox?to= with exactly the contract fields', async () => {
    const db = await database();
    const app = Fastify();
    try {
      const outbox = new MessageOutbox({ db, channels: [] });
      await outbox.send(sms);
      await outbox.send({ ...sms, to: '+212600000099' });
      await app.register(outboxPlugin, { outbox });
      const res = await app.inject({ url: `/api/outbox?to=${encodeURIComponent(sms.to)}` });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { messages: Record<string, unknown>[] };
      expect(Object.keys(body)).toEqual(['messages']);
      expect(body.messages).toHaveLength(1);
      expect(Object.keys(body.messages[0]!).sort()).toEqual(
        ['channel', 'createdAt', 'id', 'status', 'template', 'text', 'to'].sort(),
      );
      const one = await app.inject({ url: `/api/outbox/${String(body.messages[0]!.id)}` });
      expect(one.json()).toMatchObject({ language: 'fr', status: 'outbox-only', attempts: 1 });
    } finally {
      await app.close();
      await db.close();
    }
  });
});
