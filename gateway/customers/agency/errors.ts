import { defineErrors } from '../../platform/index.js';

/**
 * Stable error codes of the online agency (customer accounts, sessions, claims and requests).
 * A registration that does not match the registry gets one generic message that names no field.
 */
export const AGENCY_ERRORS = defineErrors({
  MG_ERR_AGENCY_MISMATCH: {
    status: 422,
    fr: "Les informations saisies ne correspondent pas à nos fichiers. Vérifiez-les à l'aide d'une facture ou contactez votre agence.",
    ar: 'المعلومات المدخلة لا تطابق سجلاتنا. تحقق منها بواسطة فاتورة أو اتصل بوكالتك.',
    en: 'The details you entered do not match our records. Check them against a bill or contact your agency.',
  },
  MG_ERR_AGENCY_BUSINESS: {
    status: 422,
    fr: 'Les entreprises ne créent pas de compte en ligne : contactez votre agence commerciale.',
    ar: 'لا تنشئ المقاولات حسابا عبر الإنترنت: يرجى الاتصال بوكالتكم التجارية.',
    en: 'Businesses do not open an online account: please contact your agency.',
  },
  MG_ERR_AGENCY_USERNAME_TAKEN: {
    status: 409,
    fr: "Ce nom d'utilisateur est déjà pris",
    ar: 'اسم المستخدم هذا مستعمل من قبل',
    en: 'this username is already taken',
  },
  MG_ERR_AGENCY_ACCOUNT_EXISTS: {
    status: 409,
    fr: 'Un compte existe déjà pour ce contrat : utilisez « Identifiant ou mot de passe oublié »',
    ar: 'يوجد حساب لهذا العقد: استعمل «نسيت اسم المستخدم أو كلمة المرور»',
    en: 'an account already exists for this contract: use "Forgotten username or password"',
  },
  MG_ERR_AGENCY_BAD_CAPTCHA: {
    status: 400,
    fr: 'Le code de vérification est invalide ou expiré',
    ar: 'رمز التحقق غير صالح أو منتهي الصلاحية',
    en: 'the verification code is invalid or expired',
  },
  MG_ERR_AGENCY_BAD_LOGIN: {
    status: 401,
    fr: "Nom d'utilisateur ou mot de passe incorrect",
    ar: 'اسم المستخدم أو كلمة المرور غير صحيحة',
    en: 'wrong username or password',
  },
  MG_ERR_AGENCY_SLOW_DOWN: {
    status: 429,
    fr: 'Trop de tentatives : réessayez dans {seconds} s',
    ar: 'محاولات كثيرة: أعد المحاولة بعد {seconds} ثانية',
    en: 'too many attempts: try again in {seconds} s',
  },
  MG_ERR_AGENCY_LOCKED: {
    status: 423,
    fr: 'Compte bloqué après trop de mots de passe erronés : recevez un nouveau mot de passe par SMS (« Mot de passe oublié »)',
    ar: 'الحساب مقفل بعد محاولات خاطئة كثيرة: احصل على كلمة مرور جديدة عبر رسالة قصيرة («نسيت كلمة المرور»)',
    en: 'account locked after too many wrong passwords: get a new password by SMS ("Forgotten password")',
  },
  MG_ERR_AGENCY_NOT_SIGNED_IN: {
    status: 401,
    fr: 'Connectez-vous à votre agence en ligne',
    ar: 'سجّل الدخول إلى وكالتك الإلكترونية',
    en: 'sign in to your online agency',
  },
  MG_ERR_AGENCY_PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    fr: 'Changement de mot de passe obligatoire avant de continuer',
    ar: 'يجب تغيير كلمة المرور قبل المتابعة',
    en: 'password change required before continuing',
  },
  MG_ERR_AGENCY_WEAK_PASSWORD: {
    status: 422,
    fr: "Mot de passe trop faible : au moins 10 caractères, 3 types parmi minuscules, majuscules, chiffres et symboles, sans le nom d'utilisateur ni l'ancien mot de passe",
    ar: 'كلمة المرور ضعيفة: 10 أحرف على الأقل، و3 أنواع من بين الحروف الصغيرة والكبيرة والأرقام والرموز، دون اسم المستخدم أو كلمة المرور السابقة',
    en: 'password too weak: at least 10 characters, 3 kinds among lower case, upper case, digits and symbols, without the username or the old password',
  },
  MG_ERR_AGENCY_WRONG_PASSWORD: {
    status: 403,
    fr: 'Le mot de passe actuel est incorrect',
    ar: 'كلمة المرور الحالية غير صحيحة',
    en: 'the current password is wrong',
  },
  MG_ERR_AGENCY_CROSS_SITE: {
    status: 403,
    fr: 'Requête refusée : elle ne vient pas de l’agence en ligne',
    ar: 'طلب مرفوض: لم يصدر عن الوكالة الإلكترونية',
    en: 'request refused: it does not come from the online agency',
  },
  MG_ERR_AGENCY_NOT_FOUND: {
    status: 404,
    fr: 'Introuvable : {what}',
    ar: 'غير موجود: {what}',
    en: 'not found: {what}',
  },
  MG_ERR_AGENCY_BAD_INPUT: {
    status: 400,
    fr: 'Donnée invalide : {reason}',
    ar: 'معطى غير صالح: {reason}',
    en: 'invalid input: {reason}',
  },
  MG_ERR_AGENCY_BAD_ATTACHMENT: {
    status: 415,
    fr: 'Pièce jointe refusée : seuls les PDF, PNG et JPEG sont acceptés ({reason})',
    ar: 'المرفق مرفوض: تقبل فقط ملفات PDF وPNG وJPEG ({reason})',
    en: 'attachment refused: only PDF, PNG and JPEG are accepted ({reason})',
  },
  MG_ERR_AGENCY_ATTACHMENT_TOO_LARGE: {
    status: 413,
    fr: 'Pièce jointe trop volumineuse (maximum {max} Mo)',
    ar: 'المرفق كبير جدا (الحد الأقصى {max} ميغابايت)',
    en: 'attachment too large (at most {max} MB)',
  },
  MG_ERR_AGENCY_BAD_TRANSITION: {
    status: 409,
    fr: 'Passage impossible de « {from} » à « {to} »',
    ar: 'لا يمكن الانتقال من «{from}» إلى «{to}»',
    en: 'cannot move from "{from}" to "{to}"',
  },
});

export type AgencyErrorCode = keyof typeof AGENCY_ERRORS;
