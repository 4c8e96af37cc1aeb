// @ts-check
/* global queueMicrotask */
/**
 * Typing one meter's index: checked against the meter's expected range as it is typed; outside it,
 * saving asks to confirm or read the meter again (a slipped digit is caught at the meter, not at
 * billing). The index, the anomaly code, the photo and the phone's position go to the queue on the
 * phone with the time it was typed, and are sent when the network allows.
 */
import { field, h } from './dom.js';
import { num, parseIndex, t } from './i18n.js';
import { currentPosition, photoDataUrl } from './photo.js';
import { putReading } from './queue-db.js';

/** The anomaly codes of POST /api/reading-rounds/:id/readings, with their label keys. */
const ANOMALIES = /** @type {const} */ ([
  ['inaccessible', 'inaccessible'],
  ['stopped', 'stopped'],
  ['broken-seal', 'brokenSeal'],
  ['suspected-fraud', 'suspectedFraud'],
  ['illegible', 'illegible'],
]);

/**
 * @param {{ id: string }} round
 * @param {{ meter: string, expectedMin: number|null, expectedMax: number|null }} meter
 * @param {{ onSaved: () => void, onCancel: () => void }} on
 */
export function entryForm(round, meter, on) {
  const range =
    meter.expectedMin !== null && meter.expectedMax !== null
      ? { min: meter.expectedMin, max: meter.expectedMax }
      : undefined;
  const outside = (/** @type {number} */ v) => !!range && (v < range.min || v > range.max);
  let confirmed = false;

  const index = /** @type {HTMLInputElement} */ (
    h('input', { id: 'index', name: 'index', inputmode: 'decimal', autocomplete: 'off', required: true })
  );
  const note = h('p', { id: 'range-note', class: 'hint', role: 'status', 'aria-live': 'polite' });
  const anomaly = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'anomaly', name: 'anomaly' },
      h('option', { value: '', text: t('noAnomaly') }),
      ...ANOMALIES.map(([code, key]) => h('option', { value: code, text: t(key) })),
    )
  );
  const photo = /** @type {HTMLInputElement} */ (
    h('input', { id: 'photo', name: 'photo', type: 'file', accept: 'image/*', capture: 'environment' })
  );
  const position = /** @type {HTMLInputElement} */ (
    h('input', { id: 'position', name: 'position', type: 'checkbox', checked: true })
  );
  const confirmBox = h('div', { class: 'confirm', role: 'alert', hidden: true });

  const rangeText = () => (range ? { min: num(range.min), max: num(range.max) } : { min: '', max: '' });
  const check = () => {
    confirmed = false;
    confirmBox.hidden = true;
    const v = parseIndex(index.value);
    if (v === undefined) {
      note.textContent = '';
      note.className = 'hint';
    } else if (outside(v)) {
      note.textContent = t('outOfRange', rangeText());
      note.className = 'warn';
    } else {
      note.textContent = range ? t('inRange') : t('noExpected');
      note.className = 'ok';
    }
  };
  index.addEventListener('input', check);

  const save = async () => {
    const v = parseIndex(index.value);
    if (v === undefined) {
      note.textContent = t('badIndex');
      note.className = 'warn';
      index.focus();
      return;
    }
    if (outside(v) && !confirmed) {
      confirmBox.replaceChildren(
        h('p', { text: t('outOfRange', rangeText()) }),
        h(
          'div',
          { class: 'actions' },
          h('button', {
            type: 'button',
            class: 'primary',
            'data-testid': 'confirm',
            text: t('confirmIndex'),
            onclick: () => {
              confirmed = true;
              void save();
            },
          }),
          h('button', {
            type: 'button',
            class: 'secondary',
            'data-testid': 'reread',
            text: t('reread'),
            onclick: () => {
              index.value = '';
              check();
              index.focus();
            },
          }),
        ),
      );
      confirmBox.hidden = false;
      return;
    }
    submit.disabled = true;
    // The time the index was read: fixed now, before waiting for a GPS fix, and the sync's key.
    const readAt = new Date().toISOString();
    const [where, picture] = await Promise.all([
      position.checked ? currentPosition() : Promise.resolve(undefined),
      photoDataUrl(photo.files?.[0]),
    ]);
    await putReading({
      key: `${round.id}:${meter.meter}`,
      round: round.id,
      meter: meter.meter,
      index: v,
      readAt,
      ...(anomaly.value ? { anomaly: anomaly.value } : {}),
      ...(where ? { position: where } : {}),
      ...(picture ? { photo: picture } : {}),
      state: 'pending',
    });
    on.onSaved();
  };

  const submit = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'primary', text: t('save') })
  );
  const form = h(
    'form',
    {
      class: 'entry',
      novalidate: true,
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void save();
      },
    },
    field(t('index'), index),
    note,
    confirmBox,
    field(t('anomaly'), anomaly),
    field(t('photo'), photo),
    h('div', { class: 'check' }, position, h('label', { for: 'position', text: t('position') })),
    h(
      'div',
      { class: 'actions' },
      submit,
      h('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: on.onCancel }),
    ),
  );
  queueMicrotask(() => index.focus());
  return form;
}
