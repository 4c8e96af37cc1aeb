import { GatewayError, defineErrors } from '../errors/index.js';

/** Key vault codes. Messages and details name ids and reasons only, never key bytes or master keys. */
export const KEYS_ERRORS = defineErrors({
  MG_ERR_KEYS_MASTER_KEY_MISSING: {
    status: 500,
    fr: 'Clé maîtresse absente : définissez METERGATE_MASTER_KEY ou METERGATE_MASTER_KEY_FILE.',
    ar: 'المفتاح الرئيسي غير موجود: عرِّف METERGATE_MASTER_KEY أو METERGATE_MASTER_KEY_FILE.',
    en: 'Master key missing: set METERGATE_MASTER_KEY or METERGATE_MASTER_KEY_FILE.',
  },
  MG_ERR_KEYS_MASTER_KEY_INVALID: {
    status: 500,
    fr: 'Clé maîtresse invalide : 32 octets en 64 chiffres hexadécimaux ou en base64.',
    ar: 'المفتاح الرئيسي غير صالح: 32 بايت بـ64 رقماً سداسياً عشرياً أو بترميز base64.',
    en: 'Invalid master key: 32 bytes as 64 hex digits or base64.',
  },
  MG_ERR_KEYS_UNKNOWN_MASTER_KEY_ID: {
    status: 500,
    fr: 'Aucune clé maîtresse avec cet identifiant.',
    ar: 'لا يوجد مفتاح رئيسي بهذا المعرّف.',
    en: 'No master key with this id.',
  },
  MG_ERR_KEYS_DECRYPT: {
    status: 500,
    fr: 'Une entrée du coffre n’a pas pu être authentifiée (mauvaise clé maîtresse ou altération).',
    ar: 'تعذّر التحقق من أحد مدخلات الخزنة (مفتاح رئيسي خاطئ أو تلاعب).',
    en: 'A vault entry failed authentication (wrong master key or tampered).',
  },
  MG_ERR_KEYS_NOT_FOUND: {
    status: 404,
    fr: 'Entrée du coffre de clés introuvable.',
    ar: 'مُدخل خزنة المفاتيح غير موجود.',
    en: 'No such key vault entry.',
  },
  MG_ERR_KEYS_INVALID_MATERIAL: {
    status: 400,
    fr: 'Matériel de clé invalide.',
    ar: 'مادة المفتاح غير صالحة.',
    en: 'Invalid key material.',
  },
});

export type KeysErrorCode = keyof typeof KEYS_ERRORS;

export class KeyVaultError extends GatewayError {
  constructor(code: KeysErrorCode, detail: string) {
    super(code, { details: { reason: detail } });
    this.name = 'KeyVaultError';
    // The detail names ids and sources only (never key bytes): keep it in the log message.
    this.message = `${this.message} (${detail})`;
  }
}
