import type { ByteReader } from './reader.js';

/** A column value in text form: bytes as the server printed them, or null. */
export type TupleValue = Buffer | null;

const NEW_TUPLE = 0x4e; // 'N'
const NULL_VALUE = 0x6e; // 'n'
const UNCHANGED_TOAST = 0x75; // 'u'
const TEXT_VALUE = 0x74; // 't'
const NULL_LENGTH = -1;

/**
 * The column values of one inserted row in text form, as positions in the message: nothing is
 * copied or allocated per column. A view is reused for the next row, and its bytes belong to the
 * driver's read buffer: read what you keep (text, copy, values) before the next message.
 */
export class TupleView {
  private bytes: Buffer = Buffer.alloc(0);
  private starts = new Int32Array(16);
  /** Byte length of each value; NULL_LENGTH for SQL NULL. */
  private lengths = new Int32Array(16);
  private columns = 0;

  /** A view over values given as buffers (tests, and rows kept for dead letters). */
  static of(values: readonly TupleValue[]): TupleView {
    const view = new TupleView();
    view.bytes = Buffer.concat(values.filter((value): value is Buffer => value !== null));
    view.prepare(values.length);
    let offset = 0;
    values.forEach((value, column) => {
      view.starts[column] = offset;
      view.lengths[column] = value === null ? NULL_LENGTH : value.length;
      offset += value?.length ?? 0;
    });
    return view;
  }

  get count(): number {
    return this.columns;
  }

  isNull(column: number): boolean {
    return column >= this.columns || this.lengths[column] === NULL_LENGTH;
  }

  /** The value's length in bytes (its UTF-8 length), 0 for NULL. */
  byteLength(column: number): number {
    return this.isNull(column) ? 0 : (this.lengths[column] as number);
  }

  text(column: number): string | null {
    if (this.isNull(column)) return null;
    const start = this.starts[column] as number;
    return this.bytes.toString('utf8', start, start + (this.lengths[column] as number));
  }

  /** The value's bytes in a buffer of its own. */
  copy(column: number): Buffer | null {
    if (this.isNull(column)) return null;
    const start = this.starts[column] as number;
    const length = this.lengths[column] as number;
    const owned = Buffer.allocUnsafe(length);
    this.bytes.copy(owned, 0, start, start + length);
    return owned;
  }

  /** Every value in a buffer of its own, to keep past the next message. */
  values(): TupleValue[] {
    return Array.from({ length: this.columns }, (_, column) => this.copy(column));
  }

  /** Reads TupleData (after the 'N' marker) from the reader's message into this view. */
  read(reader: ByteReader): void {
    const count = reader.int16();
    this.prepare(count);
    this.bytes = reader.buffer;
    for (let column = 0; column < count; column++) {
      const kind = reader.uint8();
      if (kind === TEXT_VALUE) {
        const length = reader.int32();
        this.starts[column] = reader.skip(length);
        this.lengths[column] = length;
      } else if (kind === NULL_VALUE) {
        this.lengths[column] = NULL_LENGTH;
      } else if (kind === UNCHANGED_TOAST) {
        // An insert always carries every value; an unchanged TOAST marker here is a server bug.
        throw reader.error(`column ${column} is an unchanged TOAST value in an insert`);
      } else {
        throw reader.error(
          `column ${column} has value kind 0x${kind.toString(16)}; only text format is requested`,
        );
      }
    }
  }

  private prepare(count: number): void {
    if (count > this.starts.length) {
      this.starts = new Int32Array(count);
      this.lengths = new Int32Array(count);
    }
    this.columns = count;
  }
}

/** Reads an Insert's relation and new tuple into `tuple`; returns the relation's OID. */
export function readInsert(reader: ByteReader, tuple: TupleView): number {
  const relationOid = reader.uint32();
  const marker = reader.uint8();
  if (marker !== NEW_TUPLE) throw reader.error(`expected new-tuple marker 'N', got 0x${marker.toString(16)}`);
  tuple.read(reader);
  return relationOid;
}
