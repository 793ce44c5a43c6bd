import { DecodeError } from '../../errors.js';
import { type Lsn, readLsn } from '../lsn.js';

const EMPTY = Buffer.alloc(0);

/**
 * A forward-only cursor over one pgoutput message; every read is bounds-checked. One reader
 * serves a whole stream (`reset` per message), so reading a row allocates no cursor.
 */
export class ByteReader {
  private bytes: Buffer = EMPTY;
  private offset = 0;
  /** Where the message starts in `bytes`, so that errors count from its first byte. */
  private start = 0;
  private tag = 0;

  /** Reads the message of `tag` in `bytes`, whose tag byte is at `start`: from just after it. */
  reset(bytes: Buffer, start: number, tag: number): this {
    this.bytes = bytes;
    this.start = start;
    this.offset = start + 1;
    this.tag = tag;
    return this;
  }

  get buffer(): Buffer {
    return this.bytes;
  }

  uint8(): number {
    this.require(1);
    return this.bytes[this.offset++] as number;
  }

  int16(): number {
    this.require(2);
    const value = this.bytes.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.require(4);
    const value = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.require(4);
    const value = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A signed 64-bit integer as a number: exact for protocol timestamps (µs) until the year 2255. */
  int64AsNumber(): number {
    this.require(8);
    const value = this.bytes.readInt32BE(this.offset) * 2 ** 32 + this.bytes.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return value;
  }

  lsn(): Lsn {
    this.require(8);
    const value = readLsn(this.bytes, this.offset);
    this.offset += 8;
    return value;
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw this.error('unterminated string');
    const value = this.bytes.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  /** `length` bytes as a view into the message (valid as long as the message's buffer is). */
  bytesOf(length: number): Buffer {
    const start = this.skip(length);
    return this.bytes.subarray(start, start + length);
  }

  /** Moves past `length` bytes; returns where they start. */
  skip(length: number): number {
    this.require(length);
    const start = this.offset;
    this.offset += length;
    return start;
  }

  error(problem: string): DecodeError {
    const tagText = String.fromCharCode(this.tag);
    return new DecodeError(
      `cannot decode pgoutput message '${tagText}' at byte ${this.offset - this.start}: ${problem}`,
      this.tag,
      undefined,
    );
  }

  private require(length: number): void {
    if (length < 0 || this.offset + length > this.bytes.length) {
      throw this.error(`needs ${length} more bytes, ${this.bytes.length - this.offset} left`);
    }
  }
}
