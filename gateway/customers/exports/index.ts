export { exportsPlugin, type ExportsPluginOptions } from './plugin.js';
export {
  buildReport,
  monthWindow,
  EXPORT_FORMATS,
  type ConsumptionReport,
  type ExportFormat,
  type ExportLang,
} from './report.js';
export { renderCsv } from './csv.js';
export { renderXlsx } from './xlsx.js';
export { renderPdf } from './pdf.js';
