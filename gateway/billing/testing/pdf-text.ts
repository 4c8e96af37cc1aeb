import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * The text runs of a PDF as Mozilla's pdf.js reads them (an implementation independent of pdfkit,
 * which wrote the file). Test support only: pdfjs-dist is a dev dependency.
 */
const require = createRequire(import.meta.url);
const STANDARD_FONTS = `${dirname(require.resolve('pdfjs-dist/package.json'))}/standard_fonts/`;

export async function pdfRuns(pdf: Uint8Array): Promise<{ pages: number; runs: string[] }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(pdf),
    useSystemFonts: false,
    standardFontDataUrl: STANDARD_FONTS,
    isEvalSupported: false,
  }).promise;
  const runs: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    for (const it of content.items) if ('str' in it && it.str.trim()) runs.push(it.str);
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { pages, runs };
}
