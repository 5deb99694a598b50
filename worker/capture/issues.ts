/**
 * Problems found while reading a capture. A fatal one stops the container reader; everything read
 * before it stays in the report. Each says what went wrong and where, so a user can open the file in a
 * hex editor (byte offset) or in Wireshark (packet number) and see it.
 */
export type IssueSeverity = 'error' | 'warning';

export interface CaptureIssue {
  severity: IssueSeverity;
  /** Stable machine-readable code, e.g. `block-length-not-multiple-of-4`. */
  code: string;
  message: string;
  /** Byte offset in the (decompressed) capture stream where the problem starts. */
  offset?: number;
  /** pcapng block type name or pcap record, e.g. `EPB`, `SHB`, `pcap record`. */
  blockType?: string;
  /** 1-based packet (frame) number when the problem concerns a packet. */
  packet?: number;
  /** How many times this problem occurred (repeated warnings are folded into one entry). */
  count?: number;
}

/** Thrown inside the readers to abort on a fatal container error; caught by the framer. */
export class CaptureFormatError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly offset: number,
    readonly blockType?: string,
    readonly packet?: number,
  ) {
    super(message);
    this.name = 'CaptureFormatError';
  }
}

/**
 * Folds repeated warnings by code so a damaged 500 MB file cannot produce a million entries: the first
 * occurrence keeps its location, later ones only increment `count`.
 */
export class IssueLog {
  private readonly byCode = new Map<string, CaptureIssue>();
  readonly list: CaptureIssue[] = [];

  constructor(private readonly maxDistinct = 200) {}

  add(issue: CaptureIssue): void {
    const key = `${issue.severity}:${issue.code}`;
    const seen = this.byCode.get(key);
    if (seen) {
      seen.count = (seen.count ?? 1) + 1;
      return;
    }
    if (this.list.length >= this.maxDistinct) return;
    const stored: CaptureIssue = { ...issue, count: 1 };
    this.byCode.set(key, stored);
    this.list.push(stored);
  }

  get hasError(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }
}

/** A record whose captured length exceeds its original length (Wireshark then takes the captured one). */
export function caplenExceedsLength(frame: number, offset: number, caplen: number, wireLen: number, blockType?: string): CaptureIssue {
  return {
    severity: 'warning',
    code: 'caplen-exceeds-length',
    message: `packet ${frame} at offset ${offset}: captured length ${caplen} exceeds the original length ${wireLen}; the original length is taken as ${caplen}`,
    offset,
    ...(blockType === undefined ? {} : { blockType }),
    packet: frame,
  };
}

export function formatOffset(offset: number): string {
  return `${offset} (0x${offset.toString(16)})`;
}
