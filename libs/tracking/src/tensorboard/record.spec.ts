import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from './crc32c';
import { fileVersionEvent, scalarsEvent } from './event';
import { frameRecord, readRecords } from './record';

describe('crc32c', () => {
  it('matches the CRC-32C check value and the RFC 3720 test vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('masks as TensorFlow does: rotate right by 15, add 0xa282ead8', () => {
    expect(maskedCrc32c(Buffer.alloc(0))).toBe(0xa282ead8); // crc32c of nothing is 0
    const crc = crc32c(Buffer.from('123456789'));
    const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe((rotated + 0xa282ead8) % 2 ** 32);
  });
});

describe('TFRecord framing', () => {
  it('frames records that read back, and catches a flipped byte', () => {
    const a = fileVersionEvent(1_700_000_000.5);
    const b = scalarsEvent(1_700_000_001, 3, { 'train/loss': 2.5 });
    const file = Buffer.concat([frameRecord(a), frameRecord(b)]);
    expect(file.length).toBe(a.length + b.length + 2 * 16);
    expect(readRecords(file).map((r) => Buffer.from(r))).toEqual([a, b]);
    const bad = Buffer.from(file);
    bad[14] ^= 1;
    expect(() => readRecords(bad)).toThrow(/bad data CRC/);
    expect(() => readRecords(file.subarray(0, file.length - 1))).toThrow(/truncated/);
  });

  it('encodes an Event with the protobuf field numbers of event.proto and summary.proto', () => {
    const e = scalarsEvent(2, 300, { x: 1.5 });
    // wall_time (1, fixed64) = 2.0, step (2, varint) = 300, summary (5, bytes) { value (1) { tag (1) "x", simple_value (2, fixed32) 1.5 } }
    const wall = Buffer.alloc(8);
    wall.writeDoubleLE(2);
    const simple = Buffer.alloc(4);
    simple.writeFloatLE(1.5);
    const value = Buffer.concat([Buffer.from([0x0a, 1, 0x78, 0x15]), simple]);
    const summary = Buffer.concat([Buffer.from([0x0a, value.length]), value]);
    const expected = Buffer.concat([
      Buffer.from([0x09]),
      wall,
      Buffer.from([0x10, 0xac, 0x02]),
      Buffer.from([0x2a, summary.length]),
      summary,
    ]);
    expect(e).toEqual(expected);
  });
});
