import type { AddressInfo } from 'node:net';
import PDFDocument from 'pdfkit';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/support/postgres.js';
import { openDatabase, runMigrations } from '../../db/index.js';
import { EmailChannel } from '../channels/email.js';
import { NOTIFY_MIGRATIONS } from '../migrations.js';
import { MessageOutbox } from './message-outbox.js';

function pdf(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(14).text('Facture 2026-000123 — montant à payer : 245,60 MAD');
    doc.end();
  });
}

/** The MIME part with `filename`, its body base64-decoded (RFC 2045 §6.8), parsed here by hand. */
function attachmentOf(raw: string, filename: string): { headers: string; body: Buffer } {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)?.[1];
  if (!boundary) throw new Error('not a multipart message');
  for (const part of raw.split(`--${boundary}`)) {
    const [headers, ...rest] = part.split(/\r?\n\r?\n/);
    if (headers && headers.includes(`filename=${filename}`)) {
      return { headers, body: Buffer.from(rest.join('\n').replace(/\s+/g, ''), 'base64') };
    }
  }
  throw new Error(`no attachment ${filename}`);
}

describe('outbox e-mail through a real SMTP server, PostgreSQL', () => {
  it('delivers the rendered e-mail with its PDF once, and records it as sent', async () => {
    const received: { from: string; to: string[]; raw: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const t = await createTestDatabase('mg_outbox');
    const db = await openDatabase({ url: t.url });
    const email = new EmailChannel({
      host: '127.0.0.1',
      port: (smtp.server.address() as AddressInfo).port,
      ignoreTLS: true,
      from: 'factures@metergate.test',
    });
    try {
      await runMigrations(db, NOTIFY_MIGRATIONS);
      const outbox = new MessageOutbox({ db, channels: [email] });
      const bill = await pdf();
      const message = {
        channel: 'email' as const,
        to: 'client@example.test',
        template: 'bill_issued',
        language: 'fr' as const,
        subject: 'Votre facture 2026-000123',
        text: 'Votre facture 2026-000123 de 245,60 MAD est jointe. Date limite de paiement : 15/01/2027.',
        attachments: [{ filename: 'facture-2026-000123.pdf', contentType: 'application/pdf', content: bill }],
        dedupeKey: 'bill-2026-000123-email',
      };
      const first = await outbox.send(message);
      expect(first.status).toBe('sent');
      // The same key again (a retried billing job): the same message, nothing sent twice.
      expect(await outbox.send(message)).toEqual(first);
      expect(received).toHaveLength(1);
      const mail = received[0]!;
      expect(mail.from).toBe('factures@metergate.test');
      expect(mail.to).toEqual(['client@example.test']);
      expect(mail.raw).toContain('X-Metergate-Idempotency-Key: bill-2026-000123-email');
      const part = attachmentOf(mail.raw, 'facture-2026-000123.pdf');
      expect(part.headers).toMatch(/Content-Type: application\/pdf/i);
      expect(part.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(part.body.equals(bill)).toBe(true);
      expect(await outbox.get(first.id)).toMatchObject({
        status: 'sent',
        subject: 'Votre facture 2026-000123',
        attachments: [
          { filename: 'facture-2026-000123.pdf', contentType: 'application/pdf', size: bill.length },
        ],
        sentAt: expect.any(String),
      });
      expect(await outbox.list({ to: 'client@example.test' })).toEqual([
        expect.objectContaining({ id: first.id, channel: 'email', status: 'sent', text: message.text }),
      ]);
    } finally {
      email.close();
      await db.close();
      await t.drop();
      await new Promise<void>((r) => smtp.close(() => r()));
    }
  });
});
