// TFRecord framing, as TensorFlow's RecordWriter writes each record of an event file:
//   uint64 length (little-endian) · uint32 masked CRC-32C of those 8 bytes · data · uint32 masked CRC-32C of data
import { maskedCrc32c } from './crc32c';

export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** Splits framed records back into their data, checking both CRCs (for tests and tools). */
export function readRecords(buf: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 12) throw new Error(`truncated record header at byte ${at}`);
    const length = Number(buf.readBigUInt64LE(at));
    if (buf.readUInt32LE(at + 8) !== maskedCrc32c(buf.subarray(at, at + 8)))
      throw new Error(`bad length CRC at byte ${at}`);
    const start = at + 12;
    if (buf.length - start < length + 4) throw new Error(`truncated record at byte ${at}`);
    const data = buf.subarray(start, start + length);
    if (buf.readUInt32LE(start + length) !== maskedCrc32c(data))
      throw new Error(`bad data CRC at byte ${at}`);
    records.push(data);
    at = start + length + 4;
  }
  return records;
}
