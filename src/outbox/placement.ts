import { ConfigError } from '../errors.js';

/** Debezium's `table.fields.additional.placement`, header and partition forms. */
export type Placement =
  | { readonly column: string; readonly kind: 'header'; readonly name: string }
  | { readonly column: string; readonly kind: 'partition' };

export function parsePlacements(spec: string): Placement[] {
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [column, kind, alias, ...rest] = entry.split(':');
      if (!column || rest.length > 0) throw invalid(entry);
      if (kind === 'header') return { column, kind, name: alias || column };
      if (kind === 'partition' && alias === undefined) return { column, kind };
      if (kind === 'envelope') {
        throw new ConfigError(
          'OUTBOX_ADDITIONAL_PLACEMENT',
          `"${entry}": the envelope placement is not supported; use header`,
        );
      }
      throw invalid(entry);
    });
}

function invalid(entry: string): ConfigError {
  return new ConfigError(
    'OUTBOX_ADDITIONAL_PLACEMENT',
    `"${entry}" is not column:header[:alias] or column:partition`,
  );
}
