import type { OutboxMessageInput } from '../../platform/index.js';

/** SMS and e-mail texts of the agency, in French, Arabic and English; `{name}` filled from params. */
export type AgencyLanguage = 'fr' | 'ar' | 'en';
export type AgencyTemplate =
  'agency_password' | 'agency_reset' | 'agency_case_update' | 'agency_case_message';

const TEXTS: Record<AgencyTemplate, Record<AgencyLanguage, { subject: string; text: string }>> = {
  agency_password: {
    fr: {
      subject: 'Votre agence en ligne',
      text: 'Agence en ligne : identifiant {username}, mot de passe provisoire {password}. Il vous sera demandé de le changer à la première connexion : {url}',
    },
    ar: {
      subject: 'وكالتكم الإلكترونية',
      text: 'الوكالة الإلكترونية: اسم المستخدم {username}، كلمة المرور المؤقتة {password}. سيطلب منكم تغييرها عند أول دخول: {url}',
    },
    en: {
      subject: 'Your online agency',
      text: 'Online agency: username {username}, temporary password {password}. You will be asked to change it at the first sign-in: {url}',
    },
  },
  agency_reset: {
    fr: {
      subject: 'Nouveau mot de passe',
      text: 'Agence en ligne : identifiant {username}, nouveau mot de passe provisoire {password} (votre compte est débloqué). Changez-le à la connexion : {url}',
    },
    ar: {
      subject: 'كلمة مرور جديدة',
      text: 'الوكالة الإلكترونية: اسم المستخدم {username}، كلمة المرور المؤقتة الجديدة {password} (تم فتح حسابكم). غيّروها عند الدخول: {url}',
    },
    en: {
      subject: 'New password',
      text: 'Online agency: username {username}, new temporary password {password} (your account is unlocked). Change it when you sign in: {url}',
    },
  },
  agency_case_update: {
    fr: {
      subject: 'Suivi de votre dossier {trackingNumber}',
      text: 'Votre dossier {trackingNumber} est maintenant : {status}. {note}Suivi : {url}',
    },
    ar: {
      subject: 'تتبع ملفكم {trackingNumber}',
      text: 'ملفكم {trackingNumber} أصبح الآن: {status}. {note}التتبع: {url}',
    },
    en: {
      subject: 'Your case {trackingNumber}',
      text: 'Your case {trackingNumber} is now: {status}. {note}Follow it: {url}',
    },
  },
  agency_case_message: {
    fr: {
      subject: 'Nouveau message sur votre dossier {trackingNumber}',
      text: 'Nouveau message de votre agence sur le dossier {trackingNumber} : {url}',
    },
    ar: {
      subject: 'رسالة جديدة في ملفكم {trackingNumber}',
      text: 'رسالة جديدة من وكالتكم في الملف {trackingNumber}: {url}',
    },
    en: {
      subject: 'New message on your case {trackingNumber}',
      text: 'New message from your agency on case {trackingNumber}: {url}',
    },
  },
};

export const STATUS_LABELS: Record<string, Record<AgencyLanguage, string>> = {
  submitted: { fr: 'déposé', ar: 'مودع', en: 'submitted' },
  acknowledged: { fr: 'pris en charge', ar: 'تم التكفل به', en: 'acknowledged' },
  'in-progress': { fr: 'en cours de traitement', ar: 'قيد المعالجة', en: 'in progress' },
  resolved: { fr: 'résolu', ar: 'تمت معالجته', en: 'resolved' },
  rejected: { fr: 'rejeté', ar: 'مرفوض', en: 'rejected' },
};

const fill = (text: string, params: Record<string, string>) =>
  text.replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? '');

export function agencyMessage(
  template: AgencyTemplate,
  language: AgencyLanguage,
  params: Record<string, string>,
): Pick<OutboxMessageInput, 'template' | 'language' | 'text' | 'subject'> {
  const t = TEXTS[template][language];
  return { template, language, subject: fill(t.subject, params), text: fill(t.text, params) };
}
