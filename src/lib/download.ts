/** Saves generated content (never capture bytes) as a download. */
export function download(content: string | Blob, fileName: string, type: string): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A safe download name from a capture's file name: letters, digits, '.', '-', '_' only. */
export function exportName(captureName: string | null | undefined, suffix: string): string {
  const base = (captureName ?? 'capture')
    .replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '')
    .replace(/\.gz$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
  return `${base || 'capture'}${suffix}`;
}
