import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';
import type { SqlDatabase } from '../db/index.js';
import type { JobEvent, JobRunner } from '../jobs/index.js';
import { EmailChannel } from './channels/email.js';
import { SmsGatewayChannel } from './channels/sms.js';
import { WebhookChannel } from './channels/webhook.js';
import { enqueueNotification, registerNotificationHandler } from './notification-jobs.js';
import { Notifier } from './notifier.js';

interface Received {
  webhook: { body: string; signature: string; key: string }[];
  sms: { url: string; auth: string }[];
  email: { raw: string }[];
  attempts: { webhook: number; sms: number; email: number };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Real local receivers: one HTTP server playing the customer's webhook endpoint and the SMS gateway,
 * and an SMTP server (smtp-server). Each refuses its first attempt (HTTP 503/500, SMTP 451), then
 * accepts, and records what it accepted.
 */
export async function startReceivers(): Promise<{
  received: Received;
  httpUrl: string;
  smtpPort: number;
  close: () => Promise<void>;
}> {
  const received: Received = { webhook: [], sms: [], email: [], attempts: { webhook: 0, sms: 0, email: 0 } };
  const http: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.url?.startsWith('/hook')) {
        received.attempts.webhook++;
        if (received.attempts.webhook === 1) return res.writeHead(503).end('busy');
        received.webhook.push({
          body,
          signature: String(req.headers['x-metergate-signature']),
          key: String(req.headers['idempotency-key']),
        });
        return res.writeHead(204).end();
      }
      if (req.url?.startsWith('/sms')) {
        received.attempts.sms++;
        if (received.attempts.sms === 1) return res.writeHead(500).end('gateway error');
        received.sms.push({ url: req.url, auth: String(req.headers.authorization) });
        return res.writeHead(200).end('0: Accepted for delivery');
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      received.attempts.email++;
      if (received.attempts.email === 1) {
        const err = Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 });
        return cb(err);
      }
      cb();
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.email.push({ raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  return {
    received,
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    smtpPort,
    close: async () => {
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => smtp.close(() => r()));
    },
  };
}

/**
 * The delivery scenario both tiers run (in-process runner + PGlite; BullMQ on Redis + PostgreSQL):
 * a French customer with webhook, SMS and e-mail; the notification is submitted twice with the same
 * idempotency key; every receiver fails its first attempt; each must end with exactly one delivery.
 */
export async function runDeliveryScenario(runner: JobRunner, db: SqlDatabase): Promise<void> {
  const rx = await startReceivers();
  const email = new EmailChannel({
    host: '127.0.0.1',
    port: rx.smtpPort,
    ignoreTLS: true,
    from: 'alertes@metergate.test',
  });
  try {
    const notifier = new Notifier({
      db,
      channels: [
        // The receiver is a local http server: an operator's explicit allowance (SSRF guard).
        new WebhookChannel({ allowHttp: true, allowPrivateAddresses: true }),
        new SmsGatewayChannel({
          urlTemplate: `${rx.httpUrl}/sms/send?to={to}&text={text}`,
          auth: { type: 'basic', username: 'mg', password: 'sms-pass' },
        }),
        email,
      ],
    });
    await notifier.start();
    const secret = 'whsec_test_3f9a';
    await notifier.preferencesStore.set({
      customerId: 'C-100',
      language: 'fr',
      channels: ['webhook', 'sms', 'email'],
      webhookUrl: `${rx.httpUrl}/hook`,
      webhookSecret: secret,
      smsTo: '+212600000001',
      emailTo: 'client@example.test',
    });
    registerNotificationHandler(runner, notifier);
    const events: JobEvent[] = [];
    runner.onEvent((e) => events.push(e));
    await runner.start();
    const n = {
      idempotencyKey: 'anomaly-77-open',
      customerId: 'C-100',
      kind: 'high_consumption' as const,
      params: {
        meterId: 'MTR-1',
        current: 182.4,
        reference: 61.2,
        unit: 'kWh',
        from: '2026-11-14',
        to: '2026-11-20',
      },
    };
    const a = await enqueueNotification(runner, n, { backoffMs: 100 });
    const b = await enqueueNotification(runner, n, { backoffMs: 100 });
    expect(a).toBe(b);
    const end = Date.now() + 60_000;
    while (!events.some((e) => e.status === 'completed' || e.status === 'failed')) {
      if (Date.now() > end) throw new Error(`no completion: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(events.find((e) => e.status === 'failed')).toBeUndefined();
    // Submitted once more after success: still nothing new.
    await notifier.deliver(n);
    await new Promise((r) => setTimeout(r, 300));

    expect(rx.received.attempts).toEqual({ webhook: 2, sms: 2, email: 2 });
    expect(rx.received.webhook).toHaveLength(1);
    expect(rx.received.sms).toHaveLength(1);
    expect(rx.received.email).toHaveLength(1);

    // Webhook: signature checked with openssl (an implementation independent of node:crypto's use here).
    const hook = rx.received.webhook[0]!;
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook.signature)!;
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-hex'], {
      input: `${t}.${hook.body}`,
    })
      .toString()
      .trim()
      .split(/\s+/)
      .pop();
    expect(mac).toBe(openssl);
    expect(hook.key).toBe('anomaly-77-open');
    const body = JSON.parse(hook.body) as { kind: string; text: string; data: Record<string, unknown> };
    expect(body.kind).toBe('high_consumption');
    expect(body.text).toContain(
      'Votre consommation est anormalement élevée par rapport à la même période de l’année dernière',
    );
    expect(body.data.meterId).toBe('MTR-1');

    const sms = rx.received.sms[0]!;
    expect(sms.auth).toBe(`Basic ${Buffer.from('mg:sms-pass').toString('base64')}`);
    const q = new URL(sms.url, 'http://x').searchParams;
    expect(q.get('to')).toBe('+212600000001');
    expect(q.get('text')).toContain('182,4 kWh');

    const mail = rx.received.email[0]!.raw;
    expect(mail).toMatch(/^Subject: =\?UTF-8\?Q\?Consommation_anormalement_/m);
    // Quoted-printable (RFC 2045 §6.7) decoded here by hand, independently of nodemailer.
    const qp = mail
      .split(/\r?\n\r?\n/)
      .slice(1)
      .join('\n')
      .replace(/=\r?\n/g, '');
    const decoded = Buffer.from(
      qp.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
    expect(decoded).toContain('Votre consommation est anormalement élevée par rapport à la même période');
    expect(mail).toContain('X-Metergate-Idempotency-Key: anomaly-77-open');

    // The operators' outbox shows each message once, sent, with its rendered text.
    const outbox = await notifier.outbox.list({ customerId: 'C-100' });
    expect(outbox.map((m) => [m.channel, m.status]).sort()).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
      ['webhook', 'sent'],
    ]);
    expect(outbox.find((m) => m.channel === 'sms')!.text).toContain('182,4 kWh');

    const history = await notifier.deliveries('C-100');
    expect(history.map((h) => [h.channel, h.status, h.attempts]).sort()).toEqual([
      ['email', 'sent', 2],
      ['sms', 'sent', 2],
      ['webhook', 'sent', 2],
    ]);
  } finally {
    await runner.stop();
    email.close();
    await rx.close();
  }
}
