/**
 * Customer messages in French, Arabic and English. The wording follows the utilities' own notices: the
 * over-consumption alert ("consommation anormalement élevée par rapport à la même période de
 * l'année précédente"), estimated bills, regularisation with instalments, prepaid low credit.
 */
export const LANGUAGES = ['fr', 'ar', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const NOTIFICATION_KINDS = [
  'high_consumption',
  'zero_consumption',
  'register_backwards',
  'night_base_load',
  'disconnected_consumption',
  'estimated_bill',
  'regularisation',
  'low_credit',
  'advance_granted',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

interface Template {
  subject: string;
  text: string;
}

const TEMPLATES: Record<NotificationKind, Record<Language, Template>> = {
  high_consumption: {
    fr: {
      subject: 'Consommation anormalement élevée',
      text: 'Votre consommation est anormalement élevée par rapport à la même période de l’année dernière (compteur {meterId} : {current} {unit} du {from} au {to}, contre {reference} {unit} l’an dernier). Nous vous invitons à vérifier vos installations intérieures pour prévenir toute fuite ou anomalie.',
    },
    ar: {
      subject: 'استهلاك مرتفع بشكل غير عادي',
      text: 'استهلاككم مرتفع بشكل غير عادي مقارنة بنفس الفترة من السنة الماضية (العداد {meterId}: {current} {unit} من {from} إلى {to}، مقابل {reference} {unit} في السنة الماضية). ندعوكم إلى فحص تجهيزاتكم الداخلية لتفادي أي تسرب أو خلل.',
    },
    en: {
      subject: 'Abnormally high consumption',
      text: 'Your consumption is abnormally high compared with the same period last year (meter {meterId}: {current} {unit} from {from} to {to}, against {reference} {unit} last year). Please check your installation for a leak or a fault.',
    },
  },
  zero_consumption: {
    fr: {
      subject: 'Aucune consommation enregistrée',
      text: 'Aucune consommation n’a été enregistrée sur le compteur {meterId} depuis le {since}. Si vous occupez le logement, contactez le Centre de Relation Clientèle.',
    },
    ar: {
      subject: 'لم يسجَّل أي استهلاك',
      text: 'لم يسجَّل أي استهلاك على العداد {meterId} منذ {since}. إذا كان المسكن مشغولاً، يرجى الاتصال بمركز العلاقة مع الزبناء.',
    },
    en: {
      subject: 'No consumption recorded',
      text: 'No consumption has been recorded on meter {meterId} since {since}. If the premises are occupied, please contact customer service.',
    },
  },
  register_backwards: {
    fr: {
      subject: 'Anomalie de comptage',
      text: 'Une anomalie de l’index du compteur {meterId} a été constatée le {day}. Un technicien pourra être amené à contrôler le compteur.',
    },
    ar: {
      subject: 'خلل في العد',
      text: 'لوحظ خلل في مؤشر العداد {meterId} بتاريخ {day}. قد يقوم تقني بمراقبة العداد.',
    },
    en: {
      subject: 'Meter reading anomaly',
      text: 'An anomaly in the register of meter {meterId} was seen on {day}. A technician may need to inspect the meter.',
    },
  },
  night_base_load: {
    fr: {
      subject: 'Fuite possible',
      text: 'Le compteur {meterId} enregistre un débit continu la nuit depuis le {since} : une fuite est possible. Vérifiez vos robinets, chasses d’eau et canalisations.',
    },
    ar: {
      subject: 'تسرب محتمل',
      text: 'يسجل العداد {meterId} تدفقاً مستمراً ليلاً منذ {since}: قد يكون هناك تسرب. تحققوا من الصنابير وخزانات المراحيض والقنوات.',
    },
    en: {
      subject: 'Possible leak',
      text: 'Meter {meterId} has recorded a continuous flow at night since {since}: there may be a leak. Please check taps, toilets and pipes.',
    },
  },
  disconnected_consumption: {
    fr: {
      subject: 'Consommation sur compteur coupé',
      text: 'Une consommation a été enregistrée sur le compteur à prépaiement {meterId} alors qu’il est coupé depuis le {disconnectedSince}.',
    },
    ar: {
      subject: 'استهلاك على عداد مقطوع',
      text: 'سُجِّل استهلاك على عداد الدفع المسبق {meterId} رغم أنه مقطوع منذ {disconnectedSince}.',
    },
    en: {
      subject: 'Consumption on a disconnected meter',
      text: 'Consumption was recorded on prepaid meter {meterId} although it has been disconnected since {disconnectedSince}.',
    },
  },
  estimated_bill: {
    fr: {
      subject: 'Facture estimée',
      text: 'Faute de relevé, votre consommation du {from} au {to} (compteur {meterId}) a été estimée à {estimated} {unit} sur la base de votre historique. Une régularisation sera faite dès le prochain relevé réel. Vous pouvez aussi nous communiquer votre index (Auto-Relevé).',
    },
    ar: {
      subject: 'فاتورة تقديرية',
      text: 'لعدم توفر قراءة، قُدِّر استهلاككم من {from} إلى {to} (العداد {meterId}) بـ {estimated} {unit} اعتماداً على سجلكم. ستتم التسوية عند القراءة الفعلية المقبلة. يمكنكم أيضاً إرسال مؤشر عدادكم بأنفسكم (القراءة الذاتية).',
    },
    en: {
      subject: 'Estimated bill',
      text: 'No reading was available, so your consumption from {from} to {to} (meter {meterId}) was estimated at {estimated} {unit} from your history. It will be regularised at the next real reading. You may also send us your meter index yourself.',
    },
  },
  regularisation: {
    fr: {
      subject: 'Régularisation de votre consommation',
      text: 'Suite au relevé réel du compteur {meterId}, votre consommation du {from} au {to} est de {actual} {unit} (estimée à {estimated} {unit}), soit une régularisation de {difference} {unit}. {plan}',
    },
    ar: {
      subject: 'تسوية استهلاككم',
      text: 'بعد القراءة الفعلية للعداد {meterId}، بلغ استهلاككم من {from} إلى {to} ما قدره {actual} {unit} (المقدَّر {estimated} {unit})، أي تسوية قدرها {difference} {unit}. {plan}',
    },
    en: {
      subject: 'Your consumption has been regularised',
      text: 'After a real reading of meter {meterId}, your consumption from {from} to {to} is {actual} {unit} (estimated at {estimated} {unit}): a regularisation of {difference} {unit}. {plan}',
    },
  },
  low_credit: {
    fr: {
      subject: 'Crédit faible',
      text: 'Le crédit de votre compteur à prépaiement {meterId} est faible ({credit} {unit}). Pensez à recharger pour éviter une coupure.',
    },
    ar: {
      subject: 'رصيد منخفض',
      text: 'رصيد عداد الدفع المسبق {meterId} منخفض ({credit} {unit}). يرجى إعادة الشحن لتفادي الانقطاع.',
    },
    en: {
      subject: 'Low credit',
      text: 'The credit on your prepaid meter {meterId} is low ({credit} {unit}). Please top up to avoid a disconnection.',
    },
  },
  advance_granted: {
    fr: {
      subject: 'Avance accordée',
      text: 'Une avance de {amount} {unit} a été accordée sur votre compteur {meterId}. Elle sera récupérée lors de vos prochaines recharges.',
    },
    ar: {
      subject: 'تسبيق ممنوح',
      text: 'مُنح تسبيق قدره {amount} {unit} على عدادكم {meterId}. سيُسترجع من عمليات الشحن المقبلة.',
    },
    en: {
      subject: 'Advance granted',
      text: 'An advance of {amount} {unit} was granted on meter {meterId}. It will be recovered from your next top-ups.',
    },
  },
};

/** Instalment sentence for the regularisation message. */
export function instalmentSentence(lang: Language, months: number, perMonth: string, unit: string): string {
  if (lang === 'fr')
    return `Cette régularisation dépassant votre niveau habituel, un étalement sur ${months} mois vous est proposé (${perMonth} ${unit} par mois).`;
  if (lang === 'ar')
    return `بما أن هذه التسوية تتجاوز مستواكم المعتاد، نقترح عليكم تقسيطها على ${months} أشهر (${perMonth} ${unit} في الشهر).`;
  return `As this is above your usual level, you are offered to spread it over ${months} months (${perMonth} ${unit} a month).`;
}

export function isNotificationKind(v: unknown): v is NotificationKind {
  return typeof v === 'string' && (NOTIFICATION_KINDS as readonly string[]).includes(v);
}

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

/**
 * Fill `{name}` placeholders from params (numbers formatted for the language); a placeholder without a
 * value is an error rather than a message with a hole in it.
 */
export function renderMessage(
  kind: NotificationKind,
  lang: Language,
  params: Record<string, string | number>,
): { subject: string; text: string } {
  const t = TEMPLATES[kind][lang];
  // ar-MA writes Latin digits, as Moroccan bills and SMS do.
  const locale = lang === 'fr' ? 'fr-FR' : lang === 'ar' ? 'ar-MA' : 'en-GB';
  const fmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const fill = (s: string) =>
    s.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const v = params[name];
      if (v === undefined) throw new RangeError(`template ${kind}/${lang} needs parameter ${name}`);
      return typeof v === 'number' ? fmt.format(v) : v;
    });
  return { subject: fill(t.subject), text: fill(t.text).trim() };
}
