/**
 * Events received from the WAL but not yet acknowledged by Kafka. When either bound is
 * reached the relay stops reading the replication stream until acknowledgements free room.
 */
export class InflightBudget {
  private eventCount = 0;
  private byteCount = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get events(): number {
    return this.eventCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  get isFull(): boolean {
    return this.eventCount >= this.maxEvents || this.byteCount >= this.maxBytes;
  }

  add(bytes: number): void {
    this.eventCount++;
    this.byteCount += bytes;
  }

  release(bytes: number): void {
    this.eventCount--;
    this.byteCount -= bytes;
  }
}
