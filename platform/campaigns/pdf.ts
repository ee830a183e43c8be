import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { CampaignReport } from './report.js';
import type { Cell } from './suppression.js';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const INK = rgb(0.12, 0.14, 0.18);
const MUTED = rgb(0.42, 0.45, 0.5);
const SENT = rgb(0.2, 0.42, 0.75);
const RESPONDED = rgb(0.16, 0.62, 0.45);

const fmt = (c: Cell): string => (c.suppressed || c.value === null ? '< 11' : String(c.value));
const num = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
const ci = (v: [number, number] | null): string => (v === null ? 'n/a' : `[${v[0].toFixed(3)}, ${v[1].toFixed(3)}]`);
// The standard fonts speak WinAnsi only: anything else in a campaign's name becomes "?".
const ascii = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?');

/**
 * The report as a one-to-few-page A4 PDF: the headline figures, the adherence comparison and a bar
 * chart of patients sent and responding per week (suppressed weeks drawn as hatched "< 11"). Fixed
 * creation date (the report's own "as of"), so the same report gives the same bytes.
 */
export async function reportPdf(r: CampaignReport): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(ascii(`Campaign report ${r.campaignId}`));
  doc.setProducer('Careloop');
  doc.setCreator('Careloop');
  const fixed = new Date(0);
  doc.setCreationDate(fixed);
  doc.setModificationDate(fixed);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  let page = doc.addPage(A4);
  let y = A4[1] - MARGIN;
  const text = (s: string, size = 10, f: PDFFont = font, color = INK, x = MARGIN): void => {
    page.drawText(ascii(s), { x, y, size, font: f, color });
    y -= size + 6;
  };
  text(r.name, 18, bold);
  text(`Campaign ${r.campaignId} - purpose ${r.purpose}`, 10, font, MUTED);
  text(`Period ${r.period.from} to ${r.period.to}; as of ${r.asOf}${r.provisional ? ' (provisional)' : ''}; data from ${r.generatedFrom.from}`, 10, font, MUTED);
  text(`Aggregates only. Every cell under ${r.minCellSize} patients is suppressed ("< 11"), with complementary suppression.`, 9, font, MUTED);
  y -= 8;
  text('Reach and engagement', 13, bold);
  text(`Patients reached: ${fmt(r.reach)}`);
  text(`Responded: ${fmt(r.engagement.responded)}    Not responded: ${fmt(r.engagement.notResponded)}    Response rate: ${num(r.engagement.responseRate)}`);
  y -= 8;
  text('Adherence (PDC, proportion of days covered)', 13, bold);
  const a = r.adherence;
  text(`Campaign patients: ${fmt(a.patients)}    pre ${num(a.pre)}    post ${num(a.post)}    change ${num(a.change)}  95% CI ${ci(a.ci95)}`);
  text(`Matched non-campaign cohort: ${fmt(a.comparison.patients)}    pre ${num(a.comparison.pre)}    post ${num(a.comparison.post)}    change ${num(a.comparison.change)}  95% CI ${ci(a.comparison.ci95)}`);
  text(`Difference in change: ${num(a.difference.value)}  95% CI ${ci(a.difference.ci95)}`);
  y -= 8;
  text('Patients sent the programme and responding, by week', 13, bold);
  const chartHeight = 180;
  if (y - chartHeight < MARGIN + 40) { page = doc.addPage(A4); y = A4[1] - MARGIN; }
  drawChart(page, font, r, MARGIN, y - chartHeight, A4[0] - 2 * MARGIN, chartHeight);
  y -= chartHeight + 30;
  page.drawRectangle({ x: MARGIN, y, width: 8, height: 8, color: SENT });
  page.drawText('sent', { x: MARGIN + 12, y, size: 8, font, color: INK });
  page.drawRectangle({ x: MARGIN + 50, y, width: 8, height: 8, color: RESPONDED });
  page.drawText('responded', { x: MARGIN + 62, y, size: 8, font, color: INK });
  y -= 24;
  text('Week        sent      responded   not responded', 9, bold);
  for (const w of r.byWeek) {
    if (y < MARGIN) { page = doc.addPage(A4); y = A4[1] - MARGIN; }
    text(`${w.week}    ${fmt(w.sent).padEnd(10)}${fmt(w.responded).padEnd(12)}${fmt(w.notResponded)}`, 9);
  }
  text(`Total       ${fmt(r.totals.sent).padEnd(10)}${fmt(r.totals.responded).padEnd(12)}${fmt(r.totals.notResponded)}`, 9, bold);
  return doc.save({ useObjectStreams: false });
}

function drawChart(page: PDFPage, font: PDFFont, r: CampaignReport, x: number, y: number, width: number, height: number): void {
  page.drawLine({ start: { x, y }, end: { x: x + width, y }, thickness: 0.8, color: MUTED });
  page.drawLine({ start: { x, y }, end: { x, y: y + height }, thickness: 0.8, color: MUTED });
  const max = Math.max(1, ...r.byWeek.flatMap((w) => [w.sent.value ?? 0, w.responded.value ?? 0]));
  const slot = width / Math.max(1, r.byWeek.length);
  const bar = Math.max(1, Math.min(14, slot / 2.5));
  page.drawText(String(max), { x: x - 4 - font.widthOfTextAtSize(String(max), 7), y: y + height - 7, size: 7, font, color: MUTED });
  r.byWeek.forEach((w, i) => {
    const left = x + i * slot + (slot - 2 * bar) / 2;
    ([[w.sent, SENT], [w.responded, RESPONDED]] as const).forEach(([c, color], k) => {
      const bx = left + k * bar;
      if (c.suppressed || c.value === null) {
        // Hatched placeholder at the threshold's height: the value is not shown.
        const h = (11 / max) * height;
        page.drawRectangle({ x: bx, y, width: bar - 1, height: h, borderColor: color, borderWidth: 0.6 });
        for (let t = 3; t < h; t += 4) page.drawLine({ start: { x: bx, y: y + t - 3 }, end: { x: bx + bar - 1, y: y + t }, thickness: 0.4, color });
      } else {
        page.drawRectangle({ x: bx, y, width: bar - 1, height: (c.value / max) * height, color });
      }
    });
    if (r.byWeek.length <= 16 || i % 2 === 0) page.drawText(w.week.slice(5), { x: x + i * slot + slot / 2 - 8, y: y - 10, size: 6.5, font, color: MUTED });
  });
}
