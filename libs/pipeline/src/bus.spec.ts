import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { InProcessBus } from './bus';

describe('InProcessBus', () => {
  it('delivers to every subscriber in order and keeps a log', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe(Topics.runFailed, async (e) => {
      seen.push(`a:${e.reason}`);
    });
    bus.subscribe(Topics.runFailed, async (e) => {
      seen.push(`b:${e.reason}`);
    });
    await bus.publish(Topics.runFailed, { ...newEnvelope('r1'), stage: 'ingest', reason: 'x' });
    expect(seen).toEqual(['a:x', 'b:x']);
    expect(bus.log.map((l) => l.topic)).toEqual([Topics.runFailed]);
  });

  it('propagates a handler error to the publisher', async () => {
    const bus = new InProcessBus();
    bus.subscribe(Topics.runFailed, async () => {
      throw new Error('boom');
    });
    await expect(
      bus.publish(Topics.runFailed, { ...newEnvelope('r1'), stage: 's', reason: 'r' }),
    ).rejects.toThrow('boom');
  });
});
