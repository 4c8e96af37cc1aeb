import { defineErrors } from '../platform/index.js';

/**
 * Stable error codes of the billing domain (postpaid accounts, tariffs in money, runs, bills).
 * Messages in French (default), Arabic and English; `{name}` placeholders come from the error's
 * params, which carry ids and field names only.
 */
export const BILLING_ERRORS = defineErrors({
  MG_ERR_BILLING_UNKNOWN_CUSTOMER: {
    status: 404,
    fr: 'Client inconnu : {id}',
    ar: 'زبون غير معروف: {id}',
    en: 'unknown customer: {id}',
  },
  MG_ERR_BILLING_UNKNOWN_BILL: {
    status: 404,
    fr: 'Facture inconnue : {number}',
    ar: 'فاتورة غير معروفة: {number}',
    en: 'unknown bill: {number}',
  },
  MG_ERR_BILLING_UNKNOWN_RUN: {
    status: 404,
    fr: 'Campagne de facturation inconnue : {id}',
    ar: 'عملية فوترة غير معروفة: {id}',
    en: 'unknown billing run: {id}',
  },
  MG_ERR_BILLING_UNKNOWN_CONTRACT: {
    status: 404,
    fr: 'Contrat inconnu : {number}',
    ar: 'عقد غير معروف: {number}',
    en: 'unknown contract: {number}',
  },
  MG_ERR_BILLING_UNKNOWN_TARIFF: {
    status: 422,
    fr: 'Aucune version du tarif {id} en vigueur le {day}',
    ar: 'لا توجد نسخة من التعريفة {id} سارية بتاريخ {day}',
    en: 'no version of tariff {id} in force on {day}',
  },
  MG_ERR_BILLING_BAD_TARIFF: {
    status: 400,
    fr: 'Tarif invalide : {reason}',
    ar: 'تعريفة غير صالحة: {reason}',
    en: 'invalid tariff: {reason}',
  },
  MG_ERR_BILLING_BAD_PERIOD: {
    status: 400,
    fr: 'Période invalide : {reason}',
    ar: 'فترة غير صالحة: {reason}',
    en: 'invalid period: {reason}',
  },
  MG_ERR_BILLING_BAD_AMOUNT: {
    status: 400,
    fr: 'Montant invalide ({field}) : un nombre entier de centimes strictement positif est attendu',
    ar: 'مبلغ غير صالح ({field}): يجب أن يكون عددا صحيحا موجبا تماما من السنتيمات',
    en: 'invalid amount ({field}): a positive integer number of centimes is expected',
  },
  MG_ERR_BILLING_BAD_INPUT: {
    status: 400,
    fr: 'Donnée invalide : {reason}',
    ar: 'معطى غير صالح: {reason}',
    en: 'invalid input: {reason}',
  },
  MG_ERR_BILLING_DUPLICATE: {
    status: 409,
    fr: 'Existe déjà : {what}',
    ar: 'موجود مسبقا: {what}',
    en: 'already exists: {what}',
  },
  MG_ERR_BILLING_FORBIDDEN: {
    status: 403,
    fr: 'Un client ne consulte que ses propres données',
    ar: 'لا يطلع الزبون إلا على معطياته الخاصة',
    en: 'a customer may read only their own data',
  },
  MG_ERR_BILLING_NO_INDEX: {
    status: 422,
    fr: 'Aucun index ni estimation possible pour le contrat {contract} au {day}',
    ar: 'لا يوجد مؤشر ولا تقدير ممكن للعقد {contract} بتاريخ {day}',
    en: 'no index and no possible estimate for contract {contract} on {day}',
  },
  MG_ERR_BILLING_RUN_BUSY: {
    status: 409,
    fr: 'Une campagne de facturation est déjà en cours pour {period}',
    ar: 'عملية فوترة جارية بالفعل للفترة {period}',
    en: 'a billing run is already in progress for {period}',
  },
  MG_ERR_BILLING_IMMUTABLE: {
    status: 409,
    fr: 'Une facture émise ne se modifie pas : avoir ou facture de régularisation',
    ar: 'لا يمكن تعديل فاتورة صادرة: يتم التصحيح بإشعار دائن أو بفاتورة تسوية',
    en: 'an issued bill is never edited: correct it with a credit note or a regularisation bill',
  },
  MG_ERR_BILLING_BAD_LINK: {
    status: 403,
    fr: 'Lien de facture invalide ou expiré',
    ar: 'رابط الفاتورة غير صالح أو منتهي الصلاحية',
    en: 'invalid or expired bill link',
  },
  MG_ERR_BILLING_BILL_CANCELLED: {
    status: 409,
    fr: 'La facture {number} est annulée : aucun paiement ne peut lui être affecté',
    ar: 'الفاتورة {number} ملغاة: لا يمكن تخصيص أي أداء لها',
    en: 'bill {number} is cancelled: no payment can be allocated to it',
  },
  MG_ERR_BILLING_UNKNOWN_PAYMENT: {
    status: 404,
    fr: 'Paiement inconnu : {id}',
    ar: 'أداء غير معروف: {id}',
    en: 'unknown payment: {id}',
  },
  MG_ERR_BILLING_TOO_MUCH: {
    status: 409,
    fr: 'Montant trop élevé ({field}) : au plus {max} centimes',
    ar: 'المبلغ مرتفع جدا ({field}): على الأكثر {max} سنتيم',
    en: 'amount too high ({field}): at most {max} centimes',
  },
  MG_ERR_BILLING_UNKNOWN_CHECKOUT: {
    status: 404,
    fr: 'Session de paiement inconnue : {id}',
    ar: 'جلسة أداء غير معروفة: {id}',
    en: 'unknown checkout session: {id}',
  },
  MG_ERR_BILLING_BAD_CALLBACK: {
    status: 400,
    fr: 'Notification de paiement refusée : {reason}',
    ar: 'إشعار الأداء مرفوض: {reason}',
    en: 'payment callback refused: {reason}',
  },
  MG_ERR_BILLING_BAD_PLAN: {
    status: 400,
    fr: 'Échéancier invalide : {reason}',
    ar: 'جدول أداء غير صالح: {reason}',
    en: 'invalid instalment plan: {reason}',
  },
  MG_ERR_BILLING_UNKNOWN_PLAN: {
    status: 404,
    fr: 'Échéancier inconnu : {id}',
    ar: 'جدول أداء غير معروف: {id}',
    en: 'unknown instalment plan: {id}',
  },
  MG_ERR_BILLING_PLAN_STATE: {
    status: 409,
    fr: 'Échéancier impossible ({id}) : {reason}',
    ar: 'جدول الأداء غير ممكن ({id}): {reason}',
    en: 'instalment plan not possible ({id}): {reason}',
  },
});

export type BillingErrorCode = keyof typeof BILLING_ERRORS;
