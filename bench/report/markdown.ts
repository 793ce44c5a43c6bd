import type { BenchResults } from './results.js';

export function renderMarkdown(results: BenchResults, charts: string[]): string {
  return `# ${results.date}\n\n${JSON.stringify(results.catchUp.length)} ${charts.join(',')}\n`;
}
