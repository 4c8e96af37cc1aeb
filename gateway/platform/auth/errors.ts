import { defineErrors } from '../errors/index.js';

/**
 * Codes of the HTTP edge (authentication, scoping, request shape, rate limits, internal errors).
 * "Meter not found" and "customer not found" live here because the answer is the same for "does
 * not exist" and "not yours" (the auth plugin's `canSeeMeter` scoping), so every domain uses the
 * one code. Messages never carry key material: params are ids, roles and field names only.
 */
export const AUTH_ERRORS = defineErrors({
  MG_ERR_AUTH_UNAUTHENTICATED: {
    status: 401,
    fr: 'Authentification requise (en-tête x-api-key ou Authorization: Bearer).',
    ar: 'المصادقة مطلوبة (الترويسة x-api-key أو Authorization: Bearer).',
    en: 'Authentication required (x-api-key or Authorization: Bearer header).',
  },
  MG_ERR_AUTH_INVALID_CREDENTIALS: {
    status: 401,
    fr: 'Identifiants invalides, révoqués ou expirés.',
    ar: 'بيانات الاعتماد غير صالحة أو ملغاة أو منتهية الصلاحية.',
    en: 'Invalid, revoked or expired credentials.',
  },
  MG_ERR_AUTH_FORBIDDEN: {
    status: 403,
    fr: 'Le rôle {role} n’est pas autorisé à effectuer cette opération.',
    ar: 'الدور {role} غير مخوَّل للقيام بهذه العملية.',
    en: 'Role {role} may not do this.',
  },
  MG_ERR_AUTH_ROLE: {
    status: 400,
    fr: 'Rôle invalide : admin, operator, vendor (avec un vendeur), customer (avec un client) ou reader (avec un releveur, 1 à 100 caractères).',
    ar: 'دور غير صالح: admin أو operator أو vendor (مع بائع) أو customer (مع زبون) أو reader (مع معرّف قارئ العدادات، من 1 إلى 100 حرف).',
    en: 'Invalid role: admin, operator, vendor (with a vendor id), customer (with a customer id) or reader (with a reader id, 1 to 100 characters).',
  },
  MG_ERR_AUTH_TOO_MANY_FAILURES: {
    status: 429,
    fr: 'Trop d’échecs d’authentification depuis cette adresse ; réessayez plus tard.',
    ar: 'محاولات مصادقة فاشلة كثيرة من هذا العنوان؛ أعد المحاولة لاحقاً.',
    en: 'Too many failed authentications from this address; retry later.',
  },
  MG_ERR_METER_NOT_FOUND: {
    status: 404,
    fr: 'Compteur {meterId} introuvable (ou il ne vous appartient pas).',
    ar: 'العداد {meterId} غير موجود (أو لا يخصك).',
    en: 'No meter {meterId} (or not yours).',
  },
  MG_ERR_CUSTOMER_NOT_FOUND: {
    status: 404,
    fr: 'Client {customerId} introuvable (ou ce n’est pas vous).',
    ar: 'الزبون {customerId} غير موجود (أو ليس أنت).',
    en: 'No customer {customerId} (or not you).',
  },
  MG_ERR_HTTP_VALIDATION: {
    status: 400,
    fr: 'Requête invalide : {fields}.',
    ar: 'طلب غير صالح: {fields}.',
    en: 'Invalid request: {fields}.',
  },
  MG_ERR_HTTP_BAD_JSON: {
    status: 400,
    fr: 'Le corps de la requête n’est pas un JSON valide.',
    ar: 'جسم الطلب ليس JSON صالحاً.',
    en: 'The request body is not valid JSON.',
  },
  MG_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    fr: 'Le corps de la requête est trop volumineux.',
    ar: 'جسم الطلب كبير جداً.',
    en: 'The request body is too large.',
  },
  MG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    fr: 'Type de contenu non pris en charge : envoyez application/json.',
    ar: 'نوع المحتوى غير مدعوم: أرسل application/json.',
    en: 'Unsupported content type: send application/json.',
  },
  MG_ERR_HTTP_BAD_REQUEST: {
    status: 400,
    fr: 'Requête mal formée.',
    ar: 'طلب غير سليم الصياغة.',
    en: 'Malformed request.',
  },
  MG_ERR_HTTP_URI_TOO_LONG: {
    status: 414,
    fr: 'L’adresse demandée est trop longue.',
    ar: 'العنوان المطلوب طويل جداً.',
    en: 'The requested URL is too long.',
  },
  MG_ERR_HTTP_NOT_FOUND: {
    status: 404,
    fr: 'Aucune route {method} {path}.',
    ar: 'لا يوجد مسار {method} {path}.',
    en: 'No route {method} {path}.',
  },
  MG_ERR_HTTP_RATE_LIMITED: {
    status: 429,
    fr: 'Trop de requêtes ; réessayez dans {after}.',
    ar: 'طلبات كثيرة جداً؛ أعد المحاولة بعد {after}.',
    en: 'Rate limit exceeded; retry in {after}.',
  },
  MG_ERR_INTERNAL: {
    status: 500,
    fr: 'Erreur interne (requête {requestId}).',
    ar: 'خطأ داخلي (الطلب {requestId}).',
    en: 'Internal error (request {requestId}).',
  },
});

export type AuthErrorCode = keyof typeof AUTH_ERRORS;
