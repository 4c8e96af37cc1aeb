import { GatewayError, defineErrors } from '../../platform/index.js';

/** Codes of estimation and regularisation. */
export const ESTIMATION_ERRORS = defineErrors({
  MG_ERR_ESTIMATION_NO_HISTORY: {
    status: 422,
    fr: 'Pas assez d’historique pour estimer cette période.',
    ar: 'لا يوجد سجل كافٍ لتقدير هذه الفترة.',
    en: 'Not enough history to estimate this period.',
  },
  MG_ERR_ESTIMATION_BAD_PERIOD: {
    status: 400,
    fr: 'La période de facturation est invalide (début après la fin, ou plus de 400 jours).',
    ar: 'فترة الفوترة غير صالحة (البداية بعد النهاية، أو أكثر من 400 يوم).',
    en: 'The billing period is invalid (start after end, or longer than 400 days).',
  },
  MG_ERR_ESTIMATION_FUTURE_PERIOD: {
    status: 422,
    fr: 'La période se termine le {to}, après aujourd’hui ({today}) : on n’estime pas une période à venir.',
    ar: 'تنتهي الفترة في {to}، بعد اليوم ({today}): لا تُقدَّر فترة لم تأتِ بعد.',
    en: 'The period ends on {to}, after today ({today}): a period still to come is not estimated.',
  },
  MG_ERR_ESTIMATION_NOT_NEEDED: {
    status: 409,
    fr: 'La période a des relevés réels : rien à estimer.',
    ar: 'للفترة قراءات فعلية: لا شيء لتقديره.',
    en: 'The period has real readings: nothing to estimate.',
  },
  MG_ERR_ESTIMATION_NO_START_INDEX: {
    status: 422,
    fr: 'Aucun index réel avant les périodes estimées.',
    ar: 'لا يوجد مؤشر فعلي قبل الفترات المقدَّرة.',
    en: 'No real register value before the estimated periods.',
  },
});

export type EstimationErrorCode = keyof typeof ESTIMATION_ERRORS;

export class EstimationError extends GatewayError {
  constructor(code: EstimationErrorCode, detail?: string) {
    super(code, detail ? { details: { reason: detail } } : {});
    this.name = 'EstimationError';
    if (detail) this.message = `${this.message} (${detail})`;
  }
}
