import { defineErrors } from '../../platform/index.js';

/**
 * Why a self-reading ("Auto-Relevé") is refused (422), with the numbers that make it actionable.
 * The placeholders are filled by `refusal()` with numbers formatted for each language.
 */
export const SELF_READING_ERRORS = defineErrors({
  MG_ERR_SELF_READING_INVALID_INDEX: {
    status: 422,
    fr: 'L’index doit être un nombre positif, tel qu’affiché sur le compteur.',
    ar: 'يجب أن يكون المؤشر عدداً موجباً، كما يظهر على العداد.',
    en: 'The index must be a positive number, as shown on the meter.',
  },
  MG_ERR_SELF_READING_IN_FUTURE: {
    status: 422,
    fr: 'La date du relevé est dans le futur.',
    ar: 'تاريخ القراءة في المستقبل.',
    en: 'The reading date is in the future.',
  },
  MG_ERR_SELF_READING_TOO_OLD: {
    status: 422,
    fr: 'Le relevé est trop ancien (plus de {maxAgeDays} jours).',
    ar: 'القراءة قديمة جداً (أكثر من {maxAgeDays} يوماً).',
    en: 'The reading is too old (more than {maxAgeDays} days).',
  },
  MG_ERR_SELF_READING_BELOW_PREVIOUS: {
    status: 422,
    fr: 'L’index {index} est inférieur au dernier index connu ({previousIndex} le {previousAt}). Vérifiez le chiffre saisi.',
    ar: 'المؤشر {index} أقل من آخر مؤشر معروف ({previousIndex} بتاريخ {previousAt}). تحقّق من الرقم المُدخل.',
    en: 'Index {index} is below the last known index ({previousIndex} on {previousAt}). Please check the figure.',
  },
  MG_ERR_SELF_READING_ABOVE_NEXT: {
    status: 422,
    fr: 'L’index {index} est supérieur à un index relevé plus tard ({nextIndex} le {nextAt}).',
    ar: 'المؤشر {index} أعلى من مؤشر قُرئ لاحقاً ({nextIndex} بتاريخ {nextAt}).',
    en: 'Index {index} is above an index read later ({nextIndex} on {nextAt}).',
  },
  MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP: {
    status: 422,
    fr: 'L’index implique {consumption} {unit} en {days} jour(s), au-delà du maximum plausible ({maximum} {unit}). Vérifiez le chiffre saisi (décimales ?).',
    ar: 'يعني هذا المؤشر استهلاك {consumption} {unit} في {days} يوم، وهو أكثر من الحد المعقول ({maximum} {unit}). تحقّق من الرقم المُدخل (الأرقام العشرية؟).',
    en: 'The index implies {consumption} {unit} in {days} day(s), above the plausible maximum ({maximum} {unit}). Please check the figure (decimals?).',
  },
  MG_ERR_SELF_READING_NO_HISTORY: {
    status: 422,
    fr: 'Aucun relevé n’est connu pour ce compteur : contactez le Centre de Relation Clientèle.',
    ar: 'لا توجد أي قراءة معروفة لهذا العداد: يرجى الاتصال بمركز خدمة الزبائن.',
    en: 'No reading is known for this meter: please contact customer service.',
  },
});
