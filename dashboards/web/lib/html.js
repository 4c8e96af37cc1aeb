// @ts-check
/** htm bound to preact's `h`: JSX-like templates without a compiler. htm escapes interpolated text. */
import { h } from '../vendor/preact.js';
import htm from '../vendor/htm.js';

export const html = htm.bind(h);
