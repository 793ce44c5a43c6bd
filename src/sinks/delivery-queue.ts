import type { Delivery } from './delivery.js';

/** A FIFO of deliveries with O(1) amortised take from the front. */
export class DeliveryQueue {
  private items: Delivery[] = [];
  private head = 0;
  private bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  push(delivery: Delivery): void {
    this.items.push(delivery);
    this.bytes += delivery.record.sizeBytes;
  }

  /** Takes from the front up to `maxEvents` and `maxBytes` (always at least one). */
  take(maxEvents: number, maxBytes: number): Delivery[] {
    const taken: Delivery[] = [];
    let bytes = 0;
    while (this.head < this.items.length && taken.length < maxEvents) {
      const next = this.items[this.head] as Delivery;
      if (taken.length > 0 && bytes + next.record.sizeBytes > maxBytes) break;
      bytes += next.record.sizeBytes;
      taken.push(next);
      this.head++;
    }
    this.bytes -= bytes;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}
