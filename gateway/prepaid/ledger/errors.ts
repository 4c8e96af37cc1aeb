import { GatewayError, defineErrors } from '../../platform/index.js';

/** Codes of the ledger, vending, advances and management tokens. */
export const LEDGER_ERRORS = defineErrors({
  MG_ERR_LEDGER_EXISTS: {
    status: 409,
    fr: 'Cet enregistrement existe déjà.',
    ar: 'هذا السجل موجود مسبقاً.',
    en: 'This record already exists.',
  },
  MG_ERR_LEDGER_PAN_TAKEN: {
    status: 409,
    fr: 'Le numéro de compteur (PAN) {pan} est déjà attribué à un autre compteur.',
    ar: 'رقم العداد (PAN) {pan} مخصَّص مسبقاً لعداد آخر.',
    en: 'Meter number (PAN) {pan} is already assigned to another meter.',
  },
  MG_ERR_VEND_KEY_EXPIRED: {
    status: 422,
    fr: 'La clé du compteur {meterId} a expiré : un changement de clé est nécessaire.',
    ar: 'انتهت صلاحية مفتاح العداد {meterId}: يلزم تغيير المفتاح.',
    en: 'The key of meter {meterId} has expired: a key change is needed.',
  },
  MG_ERR_VEND_TID_ROLLOVER: {
    status: 422,
    fr: 'Le compteur {meterId} a épuisé ses identifiants de jeton pour cette date de base : changement de clé nécessaire.',
    ar: 'استنفد العداد {meterId} معرّفات الرموز لتاريخ الأساس هذا: يلزم تغيير المفتاح.',
    en: 'Meter {meterId} has used up its token ids for this base date: a key change is needed.',
  },
  MG_ERR_VEND_AMOUNT_RANGE: {
    status: 422,
    fr: 'Montant ou quantité hors des limites de vente.',
    ar: 'المبلغ أو الكمية خارج حدود البيع.',
    en: 'Amount or quantity outside the sale limits.',
  },
  MG_ERR_VEND_REQUEST_ID_REUSED: {
    status: 409,
    fr: 'Cet identifiant de requête a déjà servi pour une autre opération.',
    ar: 'معرّف الطلب هذا استُعمل مسبقاً لعملية أخرى.',
    en: 'This requestId was already used for a different operation.',
  },
  MG_ERR_VEND_KEY_UNAVAILABLE: {
    status: 503,
    fr: 'La clé de chiffrement du compteur {meterId} est indisponible.',
    ar: 'مفتاح التشفير الخاص بالعداد {meterId} غير متوفر.',
    en: 'The decoder key of meter {meterId} is unavailable.',
  },
  MG_ERR_VEND_UNKNOWN: {
    status: 404,
    fr: 'Vente introuvable.',
    ar: 'عملية البيع غير موجودة.',
    en: 'No such vend.',
  },
  MG_ERR_ADVANCE_NOT_ELIGIBLE: {
    status: 422,
    fr: 'Le client {customerId} ne bénéficie pas du programme social.',
    ar: 'الزبون {customerId} غير مستفيد من البرنامج الاجتماعي.',
    en: 'Customer {customerId} is not in the social programme.',
  },
  MG_ERR_ADVANCE_LIMIT: {
    status: 422,
    fr: 'L’avance dépasse le plafond autorisé.',
    ar: 'السلفة تتجاوز السقف المسموح به.',
    en: 'The advance exceeds the allowed limit.',
  },
  MG_ERR_MANAGEMENT_KEY_CHANGE: {
    status: 422,
    fr: 'Changement de clé impossible pour le compteur {meterId}.',
    ar: 'تعذّر تغيير مفتاح العداد {meterId}.',
    en: 'Key change impossible for meter {meterId}.',
  },
  MG_ERR_VEND_REVERSAL_ACCEPTED: {
    status: 409,
    fr: 'Le jeton de cette vente a déjà été accepté par le compteur : annulation impossible, un avoir doit être établi par un opérateur.',
    ar: 'سبق أن قبل العداد رمز عملية البيع هذه: لا يمكن الإلغاء، ويجب أن يُصدر مشغّل إشعاراً دائناً.',
    en: 'The meter has already accepted this vend’s token: it cannot be reversed; an operator must issue a credit note.',
  },
  MG_ERR_VEND_REVERSAL_WINDOW: {
    status: 409,
    fr: 'Le délai d’annulation de {minutes} minutes de cette vente est dépassé.',
    ar: 'انقضت مهلة الإلغاء ({minutes} دقيقة) لعملية البيع هذه.',
    en: 'The {minutes}-minute reversal window of this vend has passed.',
  },
  MG_ERR_VEND_NOT_REVERSIBLE: {
    status: 422,
    fr: 'Seul un achat peut être annulé.',
    ar: 'لا يمكن إلغاء إلا عملية شراء.',
    en: 'Only a purchase can be reversed.',
  },
  MG_ERR_VENDOR_UNKNOWN: {
    status: 404,
    fr: 'Point de vente {vendorId} introuvable.',
    ar: 'نقطة البيع {vendorId} غير موجودة.',
    en: 'No such vendor {vendorId}.',
  },
  MG_ERR_VENDOR_FLOAT: {
    status: 422,
    fr: 'Provision insuffisante du point de vente {vendorId} : disponible {available}, demandé {needed}.',
    ar: 'رصيد نقطة البيع {vendorId} غير كافٍ: المتاح {available}، المطلوب {needed}.',
    en: 'Vendor {vendorId} float too low: {available} available, {needed} needed.',
  },
  MG_ERR_VENDOR_CLOSED: {
    status: 409,
    fr: 'Le point de vente {vendorId} est fermé à cette heure.',
    ar: 'نقطة البيع {vendorId} مغلقة في هذه الساعة.',
    en: 'Vendor {vendorId} is closed at this time.',
  },
  MG_ERR_SHIFT_UNKNOWN: {
    status: 404,
    fr: 'Session de caisse introuvable.',
    ar: 'جلسة الصندوق غير موجودة.',
    en: 'No such shift.',
  },
  MG_ERR_SHIFT_STATE: {
    status: 409,
    fr: 'Session de caisse : {reason}.',
    ar: 'جلسة الصندوق: {reason}.',
    en: 'Shift: {reason}.',
  },
  MG_ERR_FBE_ALREADY_ISSUED: {
    status: 409,
    fr: 'L’électricité de base gratuite du mois {month} a déjà été délivrée pour le compteur {meterId}.',
    ar: 'سبق تسليم الكهرباء الأساسية المجانية لشهر {month} للعداد {meterId}.',
    en: 'Free basic electricity for {month} was already issued for meter {meterId}.',
  },
  MG_ERR_FBE_NOT_ELIGIBLE: {
    status: 422,
    fr: 'Le compteur {meterId} n’a pas droit à l’électricité de base gratuite.',
    ar: 'العداد {meterId} غير مستحق للكهرباء الأساسية المجانية.',
    en: 'Meter {meterId} is not eligible for free basic electricity.',
  },
  MG_ERR_KEY_CHANGE_UNCONFIRMED: {
    status: 409,
    fr: 'Le compteur {meterId} n’a pas confirmé le changement de clé précédent.',
    ar: 'لم يؤكد العداد {meterId} تغيير المفتاح السابق.',
    en: 'Meter {meterId} has not confirmed its previous key change.',
  },
  MG_ERR_KEY_CHANGE_NONE: {
    status: 409,
    fr: 'Aucun changement de clé émis en attente de confirmation pour le compteur {meterId}.',
    ar: 'لا يوجد تغيير مفتاح صادر ينتظر التأكيد للعداد {meterId}.',
    en: 'No issued key change awaits confirmation for meter {meterId}.',
  },
  MG_ERR_VEND_SCHEME: {
    status: 422,
    fr: 'Opération impossible pour le compteur {meterId} : elle n’existe pas dans son système de jetons ({scheme}).',
    ar: 'العملية غير ممكنة للعداد {meterId}: غير موجودة في نظام رموزه ({scheme}).',
    en: 'Operation impossible for meter {meterId}: its token scheme ({scheme}) has no such operation.',
  },
  MG_ERR_OFFLINE_ALLOWANCE: {
    status: 409,
    fr: 'Provision hors ligne : {reason}.',
    ar: 'المخصص دون اتصال: {reason}.',
    en: 'Offline allowance: {reason}.',
  },
  MG_ERR_METER_REPLACED: {
    status: 409,
    fr: 'Le compteur {meterId} a été remplacé par le compteur {newMeterId} : vendez sur le nouveau compteur.',
    ar: 'استُبدل العداد {meterId} بالعداد {newMeterId}: يُرجى البيع على العداد الجديد.',
    en: 'Meter {meterId} was replaced by meter {newMeterId}: sell to the new meter.',
  },
  MG_ERR_TRANSFER_CREDIT: {
    status: 422,
    fr: 'Crédit restant de {units} kWh impossible : le compteur {meterId} n’a jamais reçu que {issued} kWh.',
    ar: 'رصيد متبقٍّ قدره {units} كيلوواط ساعة غير ممكن: لم يتلقَّ العداد {meterId} سوى {issued} كيلوواط ساعة.',
    en: 'A remaining credit of {units} kWh is impossible: meter {meterId} only ever received {issued} kWh.',
  },
  MG_ERR_VEND_CREDIT_NOTE: {
    status: 422,
    fr: 'Avoir refusé : {reason}.',
    ar: 'رُفض الإشعار الدائن: {reason}.',
    en: 'Credit note refused: {reason}.',
  },
});
export type LedgerErrorCode = keyof typeof LEDGER_ERRORS;

/** A ledger/vending error: importing it loads the declarations above, so its code is always known. */
export class LedgerError extends GatewayError {
  constructor(code: LedgerErrorCode, options: ConstructorParameters<typeof GatewayError>[1] = {}) {
    super(code, options);
    this.name = 'LedgerError';
  }
}
