import { GatewayError, defineErrors } from '../../platform/index.js';

/** Codes of the analytics module (never reuse a retired code). */
export const ANALYTICS_ERRORS = defineErrors({
  MG_ERR_ANALYTICS_NOT_FOUND: {
    status: 404,
    fr: 'Anomalie introuvable.',
    ar: 'الحالة الشاذة غير موجودة.',
    en: 'No such anomaly.',
  },
  MG_ERR_ANALYTICS_BAD_TRANSITION: {
    status: 409,
    fr: 'Ce changement de statut n’est pas autorisé.',
    ar: 'تغيير الحالة هذا غير مسموح.',
    en: 'This status change is not allowed.',
  },
  MG_ERR_ANALYTICS_BAD_RANGE: {
    status: 400,
    fr: 'La plage de jours est invalide.',
    ar: 'نطاق الأيام غير صالح.',
    en: 'The day range is invalid.',
  },
  MG_ERR_ANALYTICS_NO_DATA: {
    status: 404,
    fr: 'Aucune consommation enregistrée pour ce compteur sur cette période.',
    ar: 'لا يوجد استهلاك مسجَّل لهذا العداد في هذه الفترة.',
    en: 'No consumption recorded for this meter over this period.',
  },
});

export type AnalyticsErrorCode = keyof typeof ANALYTICS_ERRORS;

export class AnalyticsError extends GatewayError {
  constructor(code: AnalyticsErrorCode, detail?: string) {
    super(code, detail ? { details: { reason: detail } } : {});
    this.name = 'AnalyticsError';
    if (detail) this.message = `${this.message} (${detail})`;
  }
}
