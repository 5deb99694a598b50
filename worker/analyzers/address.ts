/** Address text forms: dotted quad for IPv4, RFC 5952 canonical text for IPv6. */

export function ipv4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Formats 16 bytes at buf[off..] as canonical IPv6 text (longest zero run compressed, lower case). */
export function ipv6Text(buf: Uint8Array, off: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((buf[off + i * 2] << 8) | buf[off + i * 2 + 1]);
  return ipv6WordsText(words);
}

/** Same, from four 32-bit words (as stored in flow tables). */
export function ipv6TextFromWords(w0: number, w1: number, w2: number, w3: number): string {
  const words = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  return ipv6WordsText(words);
}

function ipv6WordsText(words: number[]): string {
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 §5).
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${words[6] >>> 8}.${words[6] & 255}.${words[7] >>> 8}.${words[7] & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
