/**
 * Growable typed columns indexed by flow row: `n` cells at least, new cells take the fill value. The
 * new length is `size` when given (callers pass the flow table's capacity, so columns grow with it and
 * stop at its cap), else doubling.
 */
function length(a: { length: number }, n: number, size: number | undefined): number {
  return Math.max(n, size ?? Math.max(a.length * 2, 1024));
}

export function growF64(a: Float64Array<ArrayBuffer>, n: number, fill = 0, size?: number): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Float64Array(length(a, n, size));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growI32(a: Int32Array<ArrayBuffer>, n: number, fill = 0, size?: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Int32Array(length(a, n, size));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growU32(a: Uint32Array<ArrayBuffer>, n: number, size?: number): Uint32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint32Array(length(a, n, size));
  b.set(a);
  return b;
}

export function growI8(a: Int8Array<ArrayBuffer>, n: number, fill = 0, size?: number): Int8Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Int8Array(length(a, n, size));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growU8(a: Uint8Array<ArrayBuffer>, n: number, size?: number): Uint8Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint8Array(length(a, n, size));
  b.set(a);
  return b;
}

export function growU16(a: Uint16Array<ArrayBuffer>, n: number, size?: number): Uint16Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint16Array(length(a, n, size));
  b.set(a);
  return b;
}
