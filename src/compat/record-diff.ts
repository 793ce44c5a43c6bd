/** A Kafka record as bytes, for comparing two systems' records byte for byte. */
export interface RecordBytes {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In their order on the record; a null value is Kafka's null header. */
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

/**
 * The event id in a record's `id` header, whichever converter wrote it: plain text, a JSON
 * string, or JsonConverter's envelope (`{"schema":…,"payload":"…"}`).
 */
export function eventIdOf(record: RecordBytes, header = 'id'): string | undefined {
  const raw = record.headers.find(([name]) => name === header)?.[1];
  if (!raw) return undefined;
  const text = raw.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') return parsed;
    if (typeof parsed === 'object' && parsed !== null && 'payload' in parsed) {
      const payload = (parsed as { payload: unknown }).payload;
      if (typeof payload === 'string' || typeof payload === 'number') return String(payload);
    }
  } catch {
    // Plain text: the id itself.
  }
  return text;
}

/** Bytes as readable text where they are UTF-8 (JSON-quoted), else as hex. */
export function describeBytes(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? JSON.stringify(text) : `0x${bytes.toString('hex')}`;
}

/** Every difference in partition, key, value and headers of one event's two records, as readable lines. */
export function recordDifferences(label: string, expected: RecordBytes, actual: RecordBytes): string[] {
  const found: string[] = [];
  const compare = (what: string, a: string, b: string) => {
    if (a !== b) found.push(`${label} ${what}: expected ${a}, got ${b}`);
  };
  compare('partition', String(expected.partition), String(actual.partition));
  compare('key', describeBytes(expected.key), describeBytes(actual.key));
  compare('value', describeBytes(expected.value), describeBytes(actual.value));
  const headers = (record: RecordBytes) =>
    record.headers.map(([name, value]) => `${name}=${describeBytes(value)}`).join(' ');
  compare('headers', headers(expected), headers(actual));
  return found;
}

export interface ComparisonReport {
  readonly expectedRecords: number;
  readonly actualRecords: number;
  /** Events found in both, paired by event id. */
  readonly paired: number;
  readonly identical: number;
  /** One line per difference of a paired event. */
  readonly differences: readonly string[];
  readonly onlyExpected: number;
  readonly onlyActual: number;
  /** Records without an event id header, which cannot be paired. */
  readonly withoutId: number;
}

/** Pairs two record sets by event id (the last record of an id wins) and compares each pair. */
export function compareRecords(
  expected: readonly RecordBytes[],
  actual: readonly RecordBytes[],
  idHeader = 'id',
): ComparisonReport {
  let withoutId = 0;
  const byId = (records: readonly RecordBytes[]) => {
    const map = new Map<string, RecordBytes>();
    for (const record of records) {
      const id = eventIdOf(record, idHeader);
      if (id === undefined) withoutId++;
      else map.set(id, record);
    }
    return map;
  };
  const expectedById = byId(expected);
  const actualById = byId(actual);
  const differences: string[] = [];
  let paired = 0;
  let identical = 0;
  for (const [id, record] of expectedById) {
    const other = actualById.get(id);
    if (!other) continue;
    paired++;
    const found = recordDifferences(`event ${id}`, record, other);
    if (found.length === 0) identical++;
    differences.push(...found);
  }
  return {
    expectedRecords: expected.length,
    actualRecords: actual.length,
    paired,
    identical,
    differences,
    onlyExpected: expectedById.size - paired,
    onlyActual: actualById.size - paired,
    withoutId,
  };
}
