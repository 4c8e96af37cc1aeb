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
    /** Customer webhooks: https to public addresses only, unless an operator allows more (SSRF guard). */
    webhook: Type.Object(
      {
        allowHttp: Type.Boolean({ default: false }),
        allowPrivateAddresses: Type.Boolean({ default: false }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Outage detection (issue 26): at least `minMeters` meters behind one transformer, and at least
     * `minShare` of its reporting meters, silent for `silentSeconds` make one outage incident (its
     * customers notified at start and restoration); checked every `checkEverySeconds`.
     */
    outage: Type.Object(
      {
        minMeters: Type.Integer({ minimum: 1, maximum: 100_000, default: 3 }),
        minShare: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
        silentSeconds: Type.Integer({ minimum: 5, maximum: 86_400, default: 30 }),
        checkEverySeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Hours between anomaly scans (the first one runs at start). */
    scanEveryHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 31, default: 24 }),
  },
  { additionalProperties: false, default: {} },
);
