import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * Text of a PDF through Mozilla's pdf.js (an implementation independent of pdfkit, which wrote
 * it), page by page. Test support only: pdfjs-dist is a dev dependency.
 */
const require = createRequire(import.meta.url);
/** pdf.js reads the 14 standard fonts' metrics from here (Node: a file path ending in '/'). */
const STANDARD_FONTS = `${dirname(require.resolve('pdfjs-dist/package.json'))}/standard_fonts/`;

export async function pdfText(pdf: Uint8Array): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(pdf),
    useSystemFonts: false,
    standardFontDataUrl: STANDARD_FONTS,
    isEvalSupported: false,
  }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    pages.push(content.items.map((it) => ('str' in it ? it.str : '')).join(' '));
  }
  await doc.destroy();
  return pages;
}
