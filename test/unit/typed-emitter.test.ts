import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../src/lifecycle/typed-emitter.js';

class Ticker extends TypedEmitter<{ tick: [number] }> {
  tick(n: number): void {
    this.emit('tick', n);
  }
}

describe('TypedEmitter', () => {
  it('reports a throwing listener instead of throwing into the emitter, and still calls the others', () => {
    const failures: [string, unknown][] = [];
    const ticker = new Ticker((event, error) => failures.push([event, error]));
    const seen: number[] = [];
    ticker.on('tick', () => {
      throw new Error('listener bug');
    });
    ticker.on('tick', (n) => seen.push(n));

    expect(() => ticker.tick(7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(failures).toEqual([['tick', new Error('listener bug')]]);
  });

  it('stops calling a listener once it is removed', () => {
    const ticker = new Ticker();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    ticker.on('tick', listener);
    ticker.tick(1);
    ticker.off('tick', listener);
    ticker.tick(2);
    expect(seen).toEqual([1]);
  });
});
