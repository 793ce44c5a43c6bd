import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionsMarkdown } from '../../src/config/help.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('documents every setting exactly as the code defines it (npx tsx scripts/readme-config.ts)', () => {
    expect(readme).toContain(optionsMarkdown());
  });

  it('gives the two quick-start commands that package.json runs', () => {
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts;
    expect(readme).toMatch(/npm run demo/);
    expect(readme).toMatch(/npm test/);
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
  });
});
