import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { type BenchResults, failed } from './results.js';
import { AVRO, ceiling, EXACTLY_ONCE, KAFKAJS, MESSAGES, RELAY } from './summary.js';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly text: string;
}

interface Section {
  readonly title: string;
  readonly bars: Bar[];
}

const COLORS: Record<string, string> = {
  [RELAY]: '#1f77b4',
  [KAFKAJS]: '#9ecae1',
  [EXACTLY_ONCE]: '#6baed6',
  [AVRO]: '#6baed6',
  [MESSAGES]: '#3182bd',
  pg_recvlogical: '#9e9e9e',
  ProducerPerformance: '#bdbdbd',
  'Debezium Server': '#d62728',
  'polling 1000 ms': '#ff7f0e',
  'polling 100 ms': '#ffbb78',
};

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars in titled sections; `log` for values spanning orders of magnitude. */
function barChart(title: string, unit: string, sections: Section[], log: boolean): string {
  const width = 900;
  const left = 250;
  const right = 170;
  const barHeight = 18;
  const plotWidth = width - left - right;
  const values = sections
    .flatMap((section) => section.bars.map((bar) => bar.value))
    .filter((value) => value > 0);
  const max = Math.max(1, ...values);
  const min = log ? Math.max(0.1, Math.min(...values) / 2) : 0;
  const scale = (value: number) => {
    if (value <= 0) return 0;
    if (!log) return (value / max) * plotWidth;
    return ((Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotWidth;
  };
  const parts: string[] = [];
  let y = 50;
  for (const section of sections) {
    parts.push(`<text x="10" y="${y + 14}" font-size="14" font-weight="bold">${xml(section.title)}</text>`);
    y += 24;
    for (const bar of section.bars) {
      const length = Math.max(1, scale(bar.value));
      parts.push(
        `<text x="${left - 8}" y="${y + 13}" font-size="12" text-anchor="end">${xml(bar.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${bar.color}"/>`,
        `<text x="${left + length + 6}" y="${y + 13}" font-size="12">${xml(bar.text)}</text>`,
      );
      y += barHeight + 6;
    }
    y += 10;
  }
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="28" font-size="18" font-weight="bold">${xml(title)}</text>`,
    ...parts,
    `<text x="${left}" y="${height - 10}" font-size="11" fill="#555">${xml(unit)}${log ? ' (log scale)' : ''}</text>`,
    '</svg>',
  ].join('\n');
}

function rasterize(svg: string, file: string): void {
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
  writeFileSync(file, png);
}

const format = (value: number) =>
  value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 1 : 0 });

function throughputSections(results: BenchResults): Section[] {
  return results.catchUp.map((group) => {
    const bars: Bar[] = [];
    const ours = group.results.find((result) => !failed(result) && result.system === RELAY);
    const oursRate = ours && !failed(ours) ? ours.eventsPerSecond : undefined;
    // The Avro and WAL-messages rows are compared the other way round: this / the default row, as in the tables.
    const compared = (key: string, value: number) =>
      !oursRate || key === RELAY
        ? ''
        : key === AVRO
          ? `  (JSON x${(value / oursRate).toFixed(2)})`
          : key === MESSAGES
            ? `  (table x${(value / oursRate).toFixed(2)})`
            : `  (ours x${(oursRate / value).toFixed(2)})`;
    const add = (label: string, key: string, value: number) =>
      bars.push({
        label,
        value,
        color: COLORS[key] ?? '#777',
        text: `${format(value)}/s${compared(key, value)}`,
      });
    if (group.decode && !failed(group.decode))
      add('pg_recvlogical (ceiling)', 'pg_recvlogical', group.decode.eventsPerSecond);
    if (group.producer && !failed(group.producer))
      add('ProducerPerformance (ceiling)', 'ProducerPerformance', group.producer.eventsPerSecond);
    for (const result of group.results) {
      if (!failed(result)) add(result.system, result.system, result.eventsPerSecond);
    }
    const min = ceiling(group);
    const title = `${group.workload.name}, ${group.workload.events.toLocaleString('en-US')} events${min && oursRate ? ` - ours = ${(oursRate / min).toFixed(2)} x min(ceilings)` : ''}`;
    return { title, bars };
  });
}

function latencySections(results: BenchResults): Section[] {
  return results.latency.map((group) => {
    const bars: Bar[] = [];
    for (const result of group.results) {
      if (failed(result) || !result.endToEnd) continue;
      for (const [name, value] of [
        ['p50', result.endToEnd.p50],
        ['p95', result.endToEnd.p95],
        ['p99', result.endToEnd.p99],
        ['max', result.endToEnd.max],
      ] as const) {
        bars.push({
          label: `${result.system} ${name}`,
          value: Math.max(value, 0.5),
          color: COLORS[result.system] ?? '#777',
          text: `${format(value)} ms`,
        });
      }
    }
    return { title: `${group.rate.toLocaleString('en-US')} events/s`, bars };
  });
}

/** Writes <base>-throughput.png and <base>-latency.png; returns their file names. */
export async function renderCharts(results: BenchResults, base: string): Promise<string[]> {
  const files: string[] = [];
  const throughput = throughputSections(results).filter((section) => section.bars.length > 0);
  if (throughput.length > 0) {
    rasterize(
      barChart('Catch-up throughput (events/s, streaming)', 'events per second', throughput, false),
      `${base}-throughput.png`,
    );
    files.push(basename(`${base}-throughput.png`));
  }
  const latency = latencySections(results).filter((section) => section.bars.length > 0);
  if (latency.length > 0) {
    rasterize(
      barChart('Commit -> consumer receive latency per rate', 'milliseconds', latency, true),
      `${base}-latency.png`,
    );
    files.push(basename(`${base}-latency.png`));
  }
  return files;
}
