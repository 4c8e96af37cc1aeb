import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Key material must never reach a log line (ARCHITECTURE.md, security model). Redaction is the last
 * line of defence; modules should not log secrets in the first place.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'vendingKey',
  '*.vendingKey',
  '*.*.vendingKey',
  'decoderKey',
  '*.decoderKey',
  'masterKey',
  '*.masterKey',
  'apiKey',
  '*.apiKey',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

export function createLogger(level: LevelWithSilent = 'info', name = 'metergate'): Logger {
  // Logs go to stderr so commands that print JSON on stdout (token batch, bench) stay pipeable.
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));
}
