/** Stable error codes of the notify module. */
export const NOTIFY_ERRORS = {
  MG_ERR_NOTIFY_CHANNEL_FAILED: 'a notification channel failed',
  MG_ERR_NOTIFY_BAD_CONFIG: 'the notification channel configuration is invalid',
  MG_ERR_NOTIFY_BAD_REQUEST: 'the notification request is invalid',
} as const;

export type NotifyErrorCode = keyof typeof NOTIFY_ERRORS;

export class NotifyError extends Error {
  readonly code: NotifyErrorCode;
  constructor(code: NotifyErrorCode, detail?: string) {
    super(detail ? `${NOTIFY_ERRORS[code]}: ${detail}` : NOTIFY_ERRORS[code]);
    this.name = 'NotifyError';
    this.code = code;
  }
}
