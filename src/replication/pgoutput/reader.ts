import { DecodeError } from '../../errors.js';
import { type Lsn, readLsn } from '../lsn.js';

/** A forward-only cursor over one pgoutput message; every read is bounds-checked. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly tag: number,
  ) {}

  uint8(): number {
    this.require(1);
    return this.bytes.readUInt8(this.offset++);
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

  int64(): bigint {
    this.require(8);
    const value = this.bytes.readBigInt64BE(this.offset);
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

  /** `length` bytes as a view into the message (the caller owns the message buffer). */
  bytesOf(length: number): Buffer {
    this.require(length);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  error(problem: string): DecodeError {
    const tagText = String.fromCharCode(this.tag);
    return new DecodeError(
      `cannot decode pgoutput message '${tagText}' at byte ${this.offset}: ${problem}`,
      this.tag,
      undefined,
    );
  }

  private require(length: number): void {
    if (this.offset + length > this.bytes.length) {
      throw this.error(`needs ${length} more bytes, ${this.bytes.length - this.offset} left`);
    }
  }
}
