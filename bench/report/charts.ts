import type { BenchResults } from './results.js';

export async function renderCharts(_results: BenchResults, _base: string): Promise<string[]> {
  return [];
}
