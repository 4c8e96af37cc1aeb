import { defineErrors } from '../../platform/index.js';

/** Codes of commands sent from the centre to a meter (relay, set, read). */
export const COMMAND_ERRORS = defineErrors({
  MG_ERR_COMMAND_NOT_FOUND: {
    status: 404,
    fr: 'Aucune commande {commandId} pour le compteur {meterId}.',
    ar: 'لا يوجد أمر {commandId} للعداد {meterId}.',
    en: 'No command {commandId} for meter {meterId}.',
  },
  MG_ERR_COMMAND_REQUEST_REUSED: {
    status: 409,
    fr: 'L’identifiant de requête {requestId} a déjà servi pour une autre commande sur ce compteur.',
    ar: 'معرّف الطلب {requestId} استُخدم من قبل لأمر آخر على هذا العداد.',
    en: 'Request id {requestId} was already used for a different command on this meter.',
  },
});
