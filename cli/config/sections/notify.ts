import { Type } from '@sinclair/typebox';

/** Customer notification channels and the analytics schedule. Webhooks need no server-side config. */
export const NotifySection = Type.Object(
  {
    smtp: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1 }),
          port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
          secure: Type.Boolean({ default: false, description: 'implicit TLS (port 465)' }),
          from: Type.String({ minLength: 3 }),
          user: Type.Optional(Type.String()),
          /** Prefer SMTP_PASSWORD in the environment. */
          password: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    sms: Type.Optional(
      Type.Object(
        {
          /** e.g. http://sms.example/send?to={to}&text={text} — values are URL-encoded. */
          urlTemplate: Type.String({ pattern: '^https?://' }),
          method: Type.Union([Type.Literal('GET'), Type.Literal('POST')], { default: 'GET' }),
          /** POST body template, e.g. {"to":"{to}","message":"{text}"}. */
          bodyTemplate: Type.Optional(Type.String()),
          contentType: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    /** Hours between anomaly scans (the first one runs at start). */
    scanEveryHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 31, default: 24 }),
  },
  { additionalProperties: false, default: {} },
);
