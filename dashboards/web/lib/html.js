// @ts-check
/** htm bound to preact's `h`: JSX-like templates without a compiler. htm escapes interpolated text. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
