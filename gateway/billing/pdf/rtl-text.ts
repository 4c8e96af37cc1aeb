/**
 * Right-to-left lines for pdfkit. fontkit (under pdfkit) shapes Arabic (initial/medial/final forms,
 * lam-alef ligatures) and orders the glyphs of ONE word right to left, but pdfkit lays a line's words
 * out left to right and has no bidi algorithm. So an RTL line is cut here into runs — each Arabic word
 * on its own, consecutive non-Arabic words (numbers, dates, codes, "kWh") kept together as one
 * left-to-right run — and the runs are placed from the right edge leftwards in logical order: the
 * visual order of a right-to-left paragraph with embedded left-to-right numbers (the outcome of the
 * Unicode bidi algorithm, UAX #9, for these simple lines: no nested embeddings, no mirrored pairs).
 */
const ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;

export const hasArabic = (s: string): boolean => ARABIC.test(s);

const MIRROR: Record<string, string> = {
  '(': ')',
  ')': '(',
  '[': ']',
  ']': '[',
  '<': '>',
  '>': '<',
  '«': '»',
  '»': '«',
};

/**
 * fontkit reverses an Arabic word's glyphs, brackets included: mirror them first (UAX #9 rule L4,
 * mirrored characters in a right-to-left run) so "(حقيقي)" still opens on the right.
 */
const mirrorBrackets = (word: string): string => word.replace(/[()[\]<>«»]/g, (c) => MIRROR[c]!);

/** The runs of a line in logical order; `rtl` runs are single Arabic words. */
export function rtlRuns(text: string): { text: string; rtl: boolean }[] {
  const runs: { text: string; rtl: boolean }[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const rtl = hasArabic(word);
    const last = runs[runs.length - 1];
    if (!rtl && last && !last.rtl) last.text += ` ${word}`;
    else runs.push({ text: rtl ? mirrorBrackets(word) : word, rtl });
  }
  return runs;
}

export interface Measurer {
  widthOf(text: string): number;
}

/**
 * Breaks an RTL text into lines no wider than `width` and gives each run's x offset from the line's
 * right edge (x = right − offset − runWidth).
 */
export function layoutRtl(
  text: string,
  width: number,
  m: Measurer,
): { runs: { text: string; offset: number; width: number }[] }[] {
  const space = m.widthOf(' ');
  const lines: { runs: { text: string; offset: number; width: number }[] }[] = [];
  let current: { text: string; offset: number; width: number }[] = [];
  let used = 0;
  for (const run of rtlRuns(text)) {
    const w = m.widthOf(run.text);
    const start = current.length ? used + space : 0;
    if (current.length && start + w > width) {
      lines.push({ runs: current });
      current = [];
      used = 0;
    }
    const offset = current.length ? used + space : 0;
    current.push({ text: run.text, offset, width: w });
    used = offset + w;
  }
  if (current.length) lines.push({ runs: current });
  return lines;
}
