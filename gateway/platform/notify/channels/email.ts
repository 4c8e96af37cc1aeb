import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelAddress, NotificationChannel, OutgoingMessage } from './channel.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when offered unless ignoreTLS. */
  secure?: boolean;
  ignoreTLS?: boolean;
  auth?: { user: string; pass: string };
  from: string;
}

/** E-mail over SMTP (RFC 5321) through nodemailer. */
export class EmailChannel implements NotificationChannel {
  readonly name = 'email' as const;
  private readonly options: SmtpOptions;
  private transport: Transporter | undefined;

  constructor(options: SmtpOptions) {
    this.options = options;
  }

  async send(message: OutgoingMessage, address: ChannelAddress): Promise<void> {
    const o = this.options;
    this.transport ??= nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure ?? false,
      ignoreTLS: o.ignoreTLS ?? false,
      ...(o.auth ? { auth: o.auth } : {}),
    });
    await this.transport.sendMail({
      from: o.from,
      to: address.to,
      subject: message.subject,
      text: message.text,
      ...(message.attachments?.length
        ? {
            attachments: message.attachments.map((a) => ({
              filename: a.filename,
              contentType: a.contentType,
              content: a.content,
            })),
          }
        : {}),
      // The same key on every retry lets the receiving side drop a duplicate.
      messageId: `<${message.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '_')}@metergate>`,
      headers: {
        'X-Metergate-Idempotency-Key': message.idempotencyKey,
        'Content-Language': message.language,
      },
    });
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }
}
