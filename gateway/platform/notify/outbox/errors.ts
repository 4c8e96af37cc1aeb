import { defineErrors } from '../../errors/index.js';

/** Error codes of the message outbox (declared in the gateway's one registry). */
export const OUTBOX_ERRORS = defineErrors({
  MG_ERR_OUTBOX_BAD_MESSAGE: {
    status: 400,
    fr: 'Message refusé : {reason}.',
    ar: 'تم رفض الرسالة: {reason}.',
    en: 'Message refused: {reason}.',
  },
  MG_ERR_OUTBOX_NOT_FOUND: {
    status: 404,
    fr: 'Aucun message {id} dans la boîte d’envoi.',
    ar: 'لا توجد رسالة {id} في صندوق الإرسال.',
    en: 'No message {id} in the outbox.',
  },
});
export type OutboxErrorCode = keyof typeof OUTBOX_ERRORS;
