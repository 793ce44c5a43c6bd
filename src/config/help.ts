import { OPTIONS } from './options.js';
import { PRESET_DEFAULTS } from './presets.js';

function shown(value: unknown): string {
  if (value === undefined) return '(required)';
  if (Array.isArray(value)) return value.join(',');
  return value === '' ? '(empty)' : String(value);
}

/** One line per setting, for `--help`. */
export function optionsHelp(): string {
  const width = Math.max(...OPTIONS.map((spec) => spec.env.length));
  return OPTIONS.map((spec) => {
    const debezium = PRESET_DEFAULTS.debezium[spec.key];
    const presetNote = debezium === undefined ? '' : `; debezium preset: ${shown(debezium)}`;
    return `  ${spec.env.padEnd(width)}  ${spec.description} [default: ${shown(spec.fallback)}${presetNote}]`;
  }).join('\n');
}

/** The README's configuration table (kept in sync by a unit test). */
export function optionsMarkdown(): string {
  const rows = OPTIONS.map((spec) => {
    const debezium = PRESET_DEFAULTS.debezium[spec.key];
    const preset = debezium === undefined ? '' : ` (debezium: \`${shown(debezium)}\`)`;
    return `| \`${spec.env}\` | \`${shown(spec.fallback)}\`${preset} | ${spec.description} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
