/** Rewrites the configuration table in README.md from src/config/options.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { optionsMarkdown } from '../src/config/help.js';

const README = new URL('../README.md', import.meta.url);
const start = '<!-- config-table:start -->';
const end = '<!-- config-table:end -->';
const text = readFileSync(README, 'utf8');
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(README, `${before}\n${optionsMarkdown()}\n${after}`);
