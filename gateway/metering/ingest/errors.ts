import { defineErrors } from '../../platform/index.js';

/**
 * Codes of the ingest pipeline: the reason a message is dead-lettered (never an HTTP answer of
 * their own, but readable by operators through the dead-letter list in their language).
 */
export const INGEST_ERRORS = defineErrors({
  MG_ERR_INGEST_TOPIC: {
    status: 422,
    fr: 'Le sujet MQTT n’est pas un sujet de relevé ou d’événement du schéma.',
    ar: 'موضوع MQTT ليس موضوع قراءة أو حدث في المخطط.',
    en: 'The MQTT topic is not a reading or event topic of the scheme.',
  },
  MG_ERR_INGEST_METER_MISMATCH: {
    status: 422,
    fr: 'Le compteur du message diffère de celui du sujet.',
    ar: 'العداد في الرسالة يختلف عن عداد الموضوع.',
    en: 'The payload’s meter differs from the topic’s meter.',
  },
  MG_ERR_INGEST_NEGATIVE_REGISTER: {
    status: 422,
    fr: 'Un index cumulatif est négatif.',
    ar: 'أحد المؤشرات التراكمية سالب.',
    en: 'A cumulative register is negative.',
  },
  MG_ERR_INGEST_REGISTER_DECREASED: {
    status: 422,
    fr: 'Un index cumulatif a diminué sans remise à zéro du compteur.',
    ar: 'انخفض أحد المؤشرات التراكمية دون إعادة ضبط العداد.',
    en: 'A cumulative register went backwards without a meter reset.',
  },
  MG_ERR_INGEST_IN_FUTURE: {
    status: 422,
    fr: 'L’horodatage du relevé est plus de 5 minutes dans le futur.',
    ar: 'الطابع الزمني للقراءة يتجاوز الحاضر بأكثر من 5 دقائق.',
    en: 'The reading’s timestamp is more than 5 minutes in the future.',
  },
  MG_ERR_INGEST_BEFORE_INSTALLATION: {
    status: 422,
    fr: 'L’horodatage du relevé précède l’installation du compteur.',
    ar: 'الطابع الزمني للقراءة يسبق تركيب العداد.',
    en: 'The reading’s timestamp is before the meter was installed.',
  },
  MG_ERR_INGEST_OUT_OF_RANGE: {
    status: 422,
    fr: 'Une valeur est hors de la plage physique de sa grandeur OBIS.',
    ar: 'إحدى القيم خارج النطاق الفيزيائي لكميتها OBIS.',
    en: 'A value is outside the physical range of its OBIS quantity.',
  },
});
export type IngestErrorCode = keyof typeof INGEST_ERRORS;
