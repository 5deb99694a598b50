/** Growable typed columns indexed by flow row (doubling; new cells take the fill value). */
export function growF64(a: Float64Array<ArrayBuffer>, n: number, fill = 0): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2, 1024));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growI32(a: Int32Array<ArrayBuffer>, n: number, fill = 0): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Int32Array(Math.max(n, a.length * 2, 1024));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growU32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint32Array(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}

export function growI8(a: Int8Array<ArrayBuffer>, n: number, fill = 0): Int8Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Int8Array(Math.max(n, a.length * 2, 1024));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growU8(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint8Array(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}

export function growU16(a: Uint16Array<ArrayBuffer>, n: number): Uint16Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint16Array(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}
