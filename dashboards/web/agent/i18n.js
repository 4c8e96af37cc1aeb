// @ts-check
/* global document, localStorage */
/**
 * The meter reader's app in French (default), Arabic (right-to-left) and English. Server messages
 * arrive already translated (each call sends Accept-Language).
 */

/** @typedef {'fr'|'ar'|'en'} Lang */
const T = {
  fr: {
    brand: 'Relève des index',
    skip: 'Aller au contenu',
    signIn: 'Se connecter',
    signOut: 'Se déconnecter',
    apiKey: 'Clé d’API',
    readerName: 'Identifiant du releveur (clé d’opérateur seulement)',
    signInHint:
      'Une clé de releveur porte son identifiant : laissez ce champ vide. La clé et l’identifiant restent sur ce téléphone pour travailler sans réseau.',
    keyRefused: 'Clé refusée par la passerelle.',
    needReader: 'Avec une clé d’opérateur, indiquez l’identifiant du releveur.',
    rounds: 'Mes tournées',
    noRounds: 'Aucune tournée ouverte pour {reader}.',
    needNetwork: 'Ouvrez une première fois l’application avec le réseau pour charger vos tournées.',
    roundTitle: 'Tournée {period} — {area}',
    progress: '{read} / {meters} relevés',
    openRound: 'Ouvrir la tournée',
    backToRounds: 'Mes tournées',
    walkingOrder: 'Ordre de passage',
    fromPhone: 'Tournée enregistrée sur le téléphone (hors ligne).',
    online: 'En ligne',
    offline: 'Hors ligne',
    pending: '{n} en attente',
    sync: 'Synchroniser',
    syncing: 'Synchronisation…',
    allSynced: 'Tout est synchronisé',
    expected: 'Attendu : {min} – {max}',
    noExpected: 'Pas d’index connu : pas de plage attendue',
    previous: 'Dernier index : {index}',
    read: 'Relever',
    index: 'Index relevé',
    anomaly: 'Anomalie (facultatif)',
    noAnomaly: 'Aucune',
    inaccessible: 'Compteur inaccessible',
    stopped: 'Compteur arrêté',
    brokenSeal: 'Scellé cassé',
    suspectedFraud: 'Fraude suspectée',
    illegible: 'Cadran illisible',
    photo: 'Photo du compteur (facultatif)',
    position: 'Joindre ma position',
    save: 'Enregistrer',
    cancel: 'Annuler',
    inRange: 'Dans la plage attendue',
    outOfRange: 'Hors de la plage attendue ({min} – {max}) : relisez le compteur ou confirmez.',
    confirmIndex: 'Confirmer cet index',
    reread: 'Relire',
    badIndex: 'Saisissez l’index : un nombre positif.',
    saved: 'Index du compteur {meter} enregistré sur le téléphone.',
    statePending: 'En attente de synchronisation',
    stateAccepted: 'Accepté',
    stateImplausible: 'Invraisemblable : à relire (non facturé)',
    stateRejected: 'Refusé : {reason}',
    stateRead: 'Déjà relevé',
    typedIndex: 'Index saisi : {index}',
    vBrand: 'Vente hors ligne',
    vToReadings: 'Relève des index',
    vToSales: 'Vente hors ligne (agents de recharge)',
    vSetUp: 'Préparer le téléphone',
    vSetUpHint:
      'Avec le réseau : votre clé de vendeur, le montant autorisé (pris tout de suite sur votre fonds) et les compteurs de la tournée. Les clés des compteurs restent scellées sur ce téléphone.',
    vBlock: 'Montant autorisé hors ligne (MAD)',
    vMeters: 'Compteurs de la tournée (séparés par des espaces)',
    vHours: 'Durée de validité (heures)',
    vProvision: 'Recevoir l’autorisation',
    vNeedNetwork: 'Le réseau est nécessaire pour préparer le téléphone.',
    vNotVendor: 'Cette clé n’est pas celle d’un vendeur.',
    vBadBlock: 'Saisissez un montant positif et au moins un compteur.',
    vRemaining: 'Reste autorisé : {amount} MAD',
    vValidUntil: 'Valable jusqu’au {at}',
    vSell: 'Vendre',
    vMeter: 'Compteur',
    vAmount: 'Montant payé (MAD)',
    vQuote: '{units} kWh pour {amount} MAD (taxe {tax}, redevance {fixed})',
    vQuoteEmpty: 'Saisissez le montant : le prix s’affiche ici.',
    vSellButton: 'Vendre et générer le jeton',
    vReceipt: 'Reçu',
    vReceiptMeter: 'Compteur : {meter}',
    vReceiptAmount: 'Montant : {amount} MAD',
    vReceiptUnits: 'Énergie : {units} kWh',
    vReceiptSale: 'Vente n° {seq}, appareil {device}, TID {tid}',
    vReceiptAt: 'Le {at}',
    vSmsTo: 'Téléphone du client (facultatif)',
    vSms: 'Reçu par SMS',
    vSmsBody:
      'Recharge compteur {meter} : {units} kWh pour {amount} MAD. Jeton : {token}. Vente {device}/{seq}, {at}.',
    vPrint: 'Imprimer',
    vNewSale: 'Nouvelle vente',
    vSales: 'Ventes de ce téléphone',
    vNoSales: 'Aucune vente pour l’instant.',
    vPending: 'En attente de synchronisation',
    vAccepted: 'Enregistrée par le centre',
    vDuplicate: 'Déjà enregistrée par le centre (renvoi sans effet)',
    vOverspend: 'Enregistrée, au-delà de l’autorisation',
    vPriceMismatch: 'Enregistrée, anomalie de prix ({units} kWh attendus)',
    vConflict: 'Refusée : numéro de vente déjà utilisé par un autre jeton',
    vUnknownMeter: 'Refusée : compteur non assigné',
    vTidUsed: 'Refusée : TID déjà utilisé sur le compteur',
    vExhausted: 'Autorisation épuisée : il reste {amount} MAD.',
    vExpired: 'Autorisation expirée : synchronisez, puis demandez-en une nouvelle.',
    vNoUnits: 'Ce montant n’achète aucune unité.',
    vFailed: 'Vente impossible : {reason}',
    vSyncFailed: 'Synchronisation interrompue : réessayez avec le réseau.',
    vForget: 'Effacer l’autorisation et les clés',
    vForgetPending: 'Synchronisez d’abord les ventes en attente.',
    vSaleLine: '{meter} — {amount} MAD, {units} kWh',
  },
  ar: {
    brand: 'قراءة العدادات',
    skip: 'الانتقال إلى المحتوى',
    signIn: 'تسجيل الدخول',
    signOut: 'تسجيل الخروج',
    apiKey: 'مفتاح الولوج (API)',
    readerName: 'معرّف القارئ (لمفتاح المشغّل فقط)',
    signInHint:
      'مفتاح القارئ يحمل معرّفه: اترك هذا الحقل فارغًا. يبقى المفتاح والمعرّف على هذا الهاتف للعمل بدون شبكة.',
    keyRefused: 'رفضت البوابة هذا المفتاح.',
    needReader: 'مع مفتاح المشغّل، أدخل معرّف القارئ.',
    rounds: 'جولاتي',
    noRounds: 'لا توجد جولة مفتوحة لـ {reader}.',
    needNetwork: 'افتح التطبيق أول مرة مع الشبكة لتحميل جولاتك.',
    roundTitle: 'جولة {period} — {area}',
    progress: '{read} / {meters} مقروءة',
    openRound: 'فتح الجولة',
    backToRounds: 'جولاتي',
    walkingOrder: 'ترتيب المرور',
    fromPhone: 'جولة محفوظة على الهاتف (بدون شبكة).',
    online: 'متصل',
    offline: 'غير متصل',
    pending: '{n} في الانتظار',
    sync: 'مزامنة',
    syncing: 'جارٍ المزامنة…',
    allSynced: 'تمت مزامنة كل شيء',
    expected: 'المتوقع: {min} – {max}',
    noExpected: 'لا يوجد مؤشر سابق: لا نطاق متوقع',
    previous: 'آخر مؤشر: {index}',
    read: 'قراءة',
    index: 'المؤشر المقروء',
    anomaly: 'خلل (اختياري)',
    noAnomaly: 'لا شيء',
    inaccessible: 'عداد يتعذر الوصول إليه',
    stopped: 'عداد متوقف',
    brokenSeal: 'ختم مكسور',
    suspectedFraud: 'اشتباه في الغش',
    illegible: 'واجهة غير مقروءة',
    photo: 'صورة العداد (اختياري)',
    position: 'إرفاق موقعي',
    save: 'حفظ',
    cancel: 'إلغاء',
    inRange: 'ضمن النطاق المتوقع',
    outOfRange: 'خارج النطاق المتوقع ({min} – {max}): أعد قراءة العداد أو أكّد.',
    confirmIndex: 'تأكيد هذا المؤشر',
    reread: 'إعادة القراءة',
    badIndex: 'أدخل المؤشر: عدد موجب.',
    saved: 'تم حفظ مؤشر العداد {meter} على الهاتف.',
    statePending: 'في انتظار المزامنة',
    stateAccepted: 'مقبول',
    stateImplausible: 'غير معقول: يجب إعادة القراءة (لن يُفوتر)',
    stateRejected: 'مرفوض: {reason}',
    stateRead: 'مقروء سابقا',
    typedIndex: 'المؤشر المُدخل: {index}',
    vBrand: 'البيع بدون شبكة',
    vToReadings: 'قراءة العدادات',
    vToSales: 'البيع بدون شبكة (أعوان الشحن)',
    vSetUp: 'تجهيز الهاتف',
    vSetUpHint:
      'مع الشبكة: مفتاح البائع، المبلغ المسموح به (يُقتطع فورًا من رصيدك) وعدادات الجولة. تبقى مفاتيح العدادات مختومة على هذا الهاتف.',
    vBlock: 'المبلغ المسموح به بدون شبكة (درهم)',
    vMeters: 'عدادات الجولة (مفصولة بمسافات)',
    vHours: 'مدة الصلاحية (ساعات)',
    vProvision: 'استلام الترخيص',
    vNeedNetwork: 'الشبكة ضرورية لتجهيز الهاتف.',
    vNotVendor: 'هذا المفتاح ليس مفتاح بائع.',
    vBadBlock: 'أدخل مبلغًا موجبًا وعدادًا واحدًا على الأقل.',
    vRemaining: 'المتبقي المسموح به: {amount} درهم',
    vValidUntil: 'صالح حتى {at}',
    vSell: 'بيع',
    vMeter: 'العداد',
    vAmount: 'المبلغ المدفوع (درهم)',
    vQuote: '{units} كيلوواط ساعة مقابل {amount} درهم (الضريبة {tax}، الإتاوة {fixed})',
    vQuoteEmpty: 'أدخل المبلغ: يظهر السعر هنا.',
    vSellButton: 'بيع وتوليد الرمز',
    vReceipt: 'الوصل',
    vReceiptMeter: 'العداد: {meter}',
    vReceiptAmount: 'المبلغ: {amount} درهم',
    vReceiptUnits: 'الطاقة: {units} كيلوواط ساعة',
    vReceiptSale: 'البيع رقم {seq}، الجهاز {device}، TID {tid}',
    vReceiptAt: 'في {at}',
    vSmsTo: 'هاتف الزبون (اختياري)',
    vSms: 'الوصل عبر رسالة قصيرة',
    vSmsBody:
      'شحن العداد {meter}: {units} كيلوواط ساعة مقابل {amount} درهم. الرمز: {token}. البيع {device}/{seq}، {at}.',
    vPrint: 'طباعة',
    vNewSale: 'بيع جديد',
    vSales: 'مبيعات هذا الهاتف',
    vNoSales: 'لا توجد مبيعات بعد.',
    vPending: 'في انتظار المزامنة',
    vAccepted: 'سجّلها المركز',
    vDuplicate: 'سبق أن سجّلها المركز (إعادة الإرسال بلا أثر)',
    vOverspend: 'مسجّلة، تتجاوز المبلغ المسموح به',
    vPriceMismatch: 'مسجّلة، خلل في السعر ({units} كيلوواط ساعة متوقعة)',
    vConflict: 'مرفوضة: رقم البيع مستعمل لرمز آخر',
    vUnknownMeter: 'مرفوضة: عداد غير مخصص',
    vTidUsed: 'مرفوضة: TID مستعمل سابقًا على العداد',
    vExhausted: 'نفد المبلغ المسموح به: يتبقى {amount} درهم.',
    vExpired: 'انتهت صلاحية الترخيص: زامن ثم اطلب ترخيصًا جديدًا.',
    vNoUnits: 'هذا المبلغ لا يشتري أي وحدة.',
    vFailed: 'تعذّر البيع: {reason}',
    vSyncFailed: 'توقفت المزامنة: أعد المحاولة مع الشبكة.',
    vForget: 'محو الترخيص والمفاتيح',
    vForgetPending: 'زامن أولًا المبيعات المنتظرة.',
    vSaleLine: '{meter} — {amount} درهم، {units} كيلوواط ساعة',
  },
  en: {
    brand: 'Meter reading',
    skip: 'Skip to content',
    signIn: 'Sign in',
    signOut: 'Sign out',
    apiKey: 'API key',
    readerName: 'Reader id (operator key only)',
    signInHint:
      'A reader key carries its own id: leave this empty. The key and the id stay on this phone so you can work without network.',
    keyRefused: 'The gateway refused this key.',
    needReader: 'With an operator key, type the reader’s id.',
    rounds: 'My rounds',
    noRounds: 'No open round for {reader}.',
    needNetwork: 'Open the app once with network to load your rounds.',
    roundTitle: 'Round {period} — {area}',
    progress: '{read} / {meters} read',
    openRound: 'Open the round',
    backToRounds: 'My rounds',
    walkingOrder: 'Walking order',
    fromPhone: 'Round saved on the phone (offline).',
    online: 'Online',
    offline: 'Offline',
    pending: '{n} pending',
    sync: 'Sync',
    syncing: 'Syncing…',
    allSynced: 'Everything is synced',
    expected: 'Expected: {min} – {max}',
    noExpected: 'No known index: no expected range',
    previous: 'Last index: {index}',
    read: 'Read',
    index: 'Index read',
    anomaly: 'Anomaly (optional)',
    noAnomaly: 'None',
    inaccessible: 'Meter inaccessible',
    stopped: 'Meter stopped',
    brokenSeal: 'Broken seal',
    suspectedFraud: 'Suspected fraud',
    illegible: 'Dial illegible',
    photo: 'Photo of the meter (optional)',
    position: 'Attach my position',
    save: 'Save',
    cancel: 'Cancel',
    inRange: 'Within the expected range',
    outOfRange: 'Outside the expected range ({min} – {max}): read the meter again or confirm.',
    confirmIndex: 'Confirm this index',
    reread: 'Read again',
    badIndex: 'Type the index: a positive number.',
    saved: 'Index of meter {meter} saved on the phone.',
    statePending: 'Waiting to sync',
    stateAccepted: 'Accepted',
    stateImplausible: 'Implausible: to be read again (not billed)',
    stateRejected: 'Refused: {reason}',
    stateRead: 'Already read',
    typedIndex: 'Index typed: {index}',
    vBrand: 'Offline sales',
    vToReadings: 'Meter reading',
    vToSales: 'Offline sales (recharge agents)',
    vSetUp: 'Set up the phone',
    vSetUpHint:
      'With network: your vendor key, the amount allowed (taken from your float at once) and the meters of the round. The meters’ keys stay sealed on this phone.',
    vBlock: 'Amount allowed offline (MAD)',
    vMeters: 'Meters of the round (separated by spaces)',
    vHours: 'Valid for (hours)',
    vProvision: 'Get the allowance',
    vNeedNetwork: 'Setting up the phone needs the network.',
    vNotVendor: 'This key is not a vendor’s.',
    vBadBlock: 'Type a positive amount and at least one meter.',
    vRemaining: 'Still allowed: {amount} MAD',
    vValidUntil: 'Valid until {at}',
    vSell: 'Sell',
    vMeter: 'Meter',
    vAmount: 'Amount paid (MAD)',
    vQuote: '{units} kWh for {amount} MAD (tax {tax}, fixed charge {fixed})',
    vQuoteEmpty: 'Type the amount: the price shows here.',
    vSellButton: 'Sell and make the token',
    vReceipt: 'Receipt',
    vReceiptMeter: 'Meter: {meter}',
    vReceiptAmount: 'Amount: {amount} MAD',
    vReceiptUnits: 'Energy: {units} kWh',
    vReceiptSale: 'Sale no. {seq}, device {device}, TID {tid}',
    vReceiptAt: 'On {at}',
    vSmsTo: 'Customer’s phone (optional)',
    vSms: 'SMS receipt',
    vSmsBody:
      'Recharge of meter {meter}: {units} kWh for {amount} MAD. Token: {token}. Sale {device}/{seq}, {at}.',
    vPrint: 'Print',
    vNewSale: 'New sale',
    vSales: 'Sales on this phone',
    vNoSales: 'No sale yet.',
    vPending: 'Waiting to sync',
    vAccepted: 'Booked by the centre',
    vDuplicate: 'Already booked by the centre (resend had no effect)',
    vOverspend: 'Booked, beyond the allowance',
    vPriceMismatch: 'Booked, price anomaly ({units} kWh expected)',
    vConflict: 'Refused: sale number already used by another token',
    vUnknownMeter: 'Refused: meter not assigned',
    vTidUsed: 'Refused: TID already used on the meter',
    vExhausted: 'Allowance used up: {amount} MAD left.',
    vExpired: 'Allowance expired: sync, then ask for a new one.',
    vNoUnits: 'This amount buys no units.',
    vFailed: 'Sale not possible: {reason}',
    vSyncFailed: 'Sync stopped: try again with network.',
    vForget: 'Erase the allowance and the keys',
    vForgetPending: 'Sync the waiting sales first.',
    vSaleLine: '{meter} — {amount} MAD, {units} kWh',
  },
};

export const LANGS = /** @type {Lang[]} */ (['fr', 'ar', 'en']);
export const LANG_NAMES = { fr: 'Français', ar: 'العربية', en: 'English' };
const KEY = 'metergate.agent.lang';

/** @returns {Lang} */
export function getLang() {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'ar' || v === 'en' ? v : 'fr';
  } catch {
    return 'fr';
  }
}

/** @param {Lang} next */
export function setLang(next) {
  localStorage.setItem(KEY, next);
  applyLang();
}

/** The document's language and direction (Arabic right to left). */
export function applyLang() {
  const lang = getLang();
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
}

/**
 * @param {keyof typeof T.fr} key
 * @param {Record<string, string|number>} [params]
 */
export function t(key, params = {}) {
  const text = T[getLang()][key] ?? T.fr[key];
  return text.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));
}

/** Numbers as the reader's language writes them (Western digits: meters display them so). */
export function num(/** @type {number} */ n) {
  const lang = getLang();
  // No digit grouping in Arabic: a grouping space splits the number in a right-to-left line.
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'fr-FR', {
    maximumFractionDigits: 1,
    useGrouping: lang !== 'ar',
  }).format(n);
}

/** The index as typed: spaces dropped, a decimal comma accepted, Eastern Arabic digits (٠-٩) read. */
export function parseIndex(/** @type {string} */ typed) {
  const s = typed
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n <= 1e12 ? n : undefined;
}

/** The table itself, for the completeness test (same keys in every language). */
export const TEXTS = T;
