import { defineErrors } from '../platform/index.js';

/** The field domain's errors: locations and imports, outages, fault injection, rounds, work orders. */
export const FIELD_ERRORS = defineErrors({
  MG_ERR_FIELD_IMPORT_INVALID: {
    status: 422,
    fr: 'L’import contient {count} ligne(s) invalide(s) : rien n’a été importé.',
    ar: 'يحتوي الاستيراد على {count} سطر(أسطر) غير صالح(ة): لم يُستورد أي شيء.',
    en: 'The import has {count} invalid line(s): nothing was imported.',
  },
  MG_ERR_FIELD_UNKNOWN_METER: {
    status: 404,
    fr: 'Compteur inconnu : {meterId}.',
    ar: 'عداد غير معروف: {meterId}.',
    en: 'Unknown meter: {meterId}.',
  },
  MG_ERR_FIELD_BAD_COORDINATES: {
    status: 422,
    fr: 'Coordonnées hors limites (WGS 84 : latitude −90 à 90, longitude −180 à 180).',
    ar: 'إحداثيات خارج النطاق (WGS 84: خط العرض من −90 إلى 90، خط الطول من −180 إلى 180).',
    en: 'Coordinates out of range (WGS 84: latitude −90 to 90, longitude −180 to 180).',
  },
  MG_ERR_FIELD_BAD_BBOX: {
    status: 400,
    fr: 'bbox doit être minLon,minLat,maxLon,maxLat en WGS 84, avec min ≤ max.',
    ar: 'يجب أن يكون bbox على شكل minLon,minLat,maxLon,maxLat بنظام WGS 84، مع min ≤ max.',
    en: 'bbox must be minLon,minLat,maxLon,maxLat in WGS 84, with min ≤ max.',
  },
  MG_ERR_FIELD_BAD_AREA: {
    status: 400,
    fr: 'Zone invalide : commune:NOM, feeder:ID ou transformer:ID.',
    ar: 'منطقة غير صالحة: commune:الاسم أو feeder:المعرّف أو transformer:المعرّف.',
    en: 'Invalid area: commune:NAME, feeder:ID or transformer:ID.',
  },
  MG_ERR_FIELD_OUTAGE_NOT_FOUND: {
    status: 404,
    fr: 'Panne inconnue : {id}.',
    ar: 'انقطاع غير معروف: {id}.',
    en: 'Unknown outage: {id}.',
  },
  MG_ERR_FIELD_UNKNOWN_TRANSFORMER: {
    status: 404,
    fr: 'Poste de transformation inconnu : {transformer}.',
    ar: 'محوّل غير معروف: {transformer}.',
    en: 'Unknown transformer: {transformer}.',
  },
  MG_ERR_FIELD_NO_SIMULATOR: {
    status: 409,
    fr: 'Aucune flotte simulée dans ce gateway : l’injection de pannes n’est possible qu’en démo.',
    ar: 'لا يوجد أسطول محاكى في هذه البوابة: حقن الأعطال ممكن فقط في العرض التجريبي.',
    en: 'This gateway runs no simulated fleet: fault injection is only available in the demo.',
  },
  MG_ERR_FIELD_ROUND_NOT_FOUND: {
    status: 404,
    fr: 'Tournée de relève inconnue : {id}.',
    ar: 'جولة قراءة غير معروفة: {id}.',
    en: 'Unknown reading round: {id}.',
  },
  MG_ERR_FIELD_METER_NOT_IN_ROUND: {
    status: 422,
    fr: 'Le compteur {meterId} ne fait pas partie de la tournée {id}.',
    ar: 'العداد {meterId} ليس ضمن الجولة {id}.',
    en: 'Meter {meterId} is not part of round {id}.',
  },
  MG_ERR_FIELD_ROUND_CLOSED: {
    status: 409,
    fr: 'La tournée {id} est {status} : aucun index n’est accepté.',
    ar: 'الجولة {id} في حالة {status}: لا يُقبل أي مؤشر.',
    en: 'Round {id} is {status}: no index is accepted.',
  },
  MG_ERR_FIELD_WORK_ORDER_NOT_FOUND: {
    status: 404,
    fr: 'Ordre de travail inconnu : {id}.',
    ar: 'أمر عمل غير معروف: {id}.',
    en: 'Unknown work order: {id}.',
  },
  MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE: {
    status: 409,
    fr: 'Le compteur {meterId} est déjà posé sur un autre point de livraison.',
    ar: 'العداد {meterId} مُركّب بالفعل في نقطة تسليم أخرى.',
    en: 'Meter {meterId} is already installed at another connection point.',
  },
  MG_ERR_FIELD_WORK_ORDER_TRANSITION: {
    status: 409,
    fr: 'L’ordre de travail {id} ne peut pas passer de {from} à {to}.',
    ar: 'لا يمكن نقل أمر العمل {id} من {from} إلى {to}.',
    en: 'Work order {id} cannot move from {from} to {to}.',
  },
  MG_ERR_FIELD_EXCHANGE_INDEX: {
    status: 422,
    fr: 'Index de dépose {index} inférieur au dernier index connu de l’ancien compteur ({previous}).',
    ar: 'مؤشر النزع {index} أقل من آخر مؤشر معروف للعداد القديم ({previous}).',
    en: 'Final index {index} is below the old meter’s last known index ({previous}).',
  },
  MG_ERR_FIELD_UNKNOWN_REQUEST: {
    status: 404,
    fr: 'Aucune demande de raccordement ouverte sous le numéro {trackingNumber}.',
    ar: 'لا يوجد طلب ربط مفتوح بالرقم {trackingNumber}.',
    en: 'No open connection request under number {trackingNumber}.',
  },
  MG_ERR_FIELD_REQUEST_HAS_WORK_ORDER: {
    status: 409,
    fr: 'La demande {trackingNumber} a déjà un ordre de travail en cours.',
    ar: 'للطلب {trackingNumber} أمر عمل جارٍ بالفعل.',
    en: 'Request {trackingNumber} already has a live work order.',
  },
});
