// The protobuf encoding of the TensorFlow messages an event file holds, written by hand for the few
// fields a scalar log needs (field numbers as in tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto):
//   Event   { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; } }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
// Scalars go in simple_value (a float32), as PyTorch's SummaryWriter.add_scalar writes them.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  private varint(value: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, value); // negative int64 → two's complement, 10 bytes
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      bytes.push(b);
    } while (v !== 0n);
    this.parts.push(Buffer.from(bytes));
  }

  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(b);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.parts.push(b);
    return this;
  }

  int64(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(BigInt(Math.trunc(value)));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.varint(BigInt(value.length));
    this.parts.push(Buffer.from(value));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The first record of every event file: the format version TensorBoard checks. */
export function fileVersionEvent(wallTime: number): Buffer {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** One Event with a Summary of scalar values at `step`; wallTime in seconds since the epoch. */
export function scalarsEvent(wallTime: number, step: number, values: Record<string, number>): Buffer {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(values)) {
    summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}
