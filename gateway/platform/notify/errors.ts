import { GatewayError, defineErrors } from '../errors/index.js';

/** Codes of the notify module (channels, preferences, webhook address checks). */
export const NOTIFY_ERRORS = defineErrors({
  MG_ERR_NOTIFY_CHANNEL_FAILED: {
    status: 502,
    fr: 'Un canal de notification a échoué.',
    ar: 'فشلت إحدى قنوات الإشعار.',
    en: 'A notification channel failed.',
  },
  MG_ERR_NOTIFY_BAD_CONFIG: {
    status: 422,
    fr: 'La configuration du canal de notification est invalide.',
    ar: 'إعدادات قناة الإشعار غير صالحة.',
    en: 'The notification channel configuration is invalid.',
  },
  MG_ERR_NOTIFY_BAD_REQUEST: {
    status: 400,
    fr: 'La demande de notification est invalide.',
    ar: 'طلب الإشعار غير صالح.',
    en: 'The notification request is invalid.',
  },
  MG_ERR_NOTIFY_WEBHOOK_URL: {
    status: 400,
    fr: 'Adresse de webhook refusée : {reason}.',
    ar: 'عنوان webhook مرفوض: {reason}.',
    en: 'Webhook URL refused: {reason}.',
  },
  MG_ERR_NOTIFY_WEBHOOK_ADDRESS: {
    status: 502,
    fr: 'Le webhook pointe vers une adresse interdite (boucle locale, réseau privé ou métadonnées).',
    ar: 'يشير webhook إلى عنوان محظور (حلقة محلية أو شبكة خاصة أو بيانات وصفية).',
    en: 'The webhook resolves to a forbidden address (loopback, private network or metadata).',
  },
});

export type NotifyErrorCode = keyof typeof NOTIFY_ERRORS;

/** A notify error; `detail` (English, for logs and `details.reason`) never carries secrets. */
export class NotifyError extends GatewayError {
  constructor(code: NotifyErrorCode, detail?: string) {
    super(code, detail ? { details: { reason: detail } } : {});
    this.name = 'NotifyError';
    if (detail) this.message = `${this.message} (${detail})`;
  }
}
