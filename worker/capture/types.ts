import type { TimeResolution } from './timestamp.js';

export type ContainerFormat = 'pcap' | 'pcap-modified' | 'pcapng';
export type ByteOrder = 'little-endian' | 'big-endian';

export interface InterfaceInfo {
  /** Global index across all pcapng sections (pcap files have exactly one, index 0). */
  id: number;
  /** Section number (0-based) that declared it; its index inside that section. */
  section: number;
  indexInSection: number;
  linkType: number;
  /** The raw pcap LinkType field when its upper (FCS) bits were set. */
  linkTypeField?: number;
  /** FCS length in bytes announced by the pcap LinkType field or pcapng if_fcslen (-1 unknown). */
  fcsBytes: number;
  snaplen: number;
  tsResolution: TimeResolution;
  /** pcapng if_tsoffset, seconds added to every timestamp. */
  tsOffset: number;
  name?: string;
  description?: string;
}

/**
 * One packet record, reused for every packet: the readers fill it and call the sink synchronously.
 * `buf`/`dv` point into the current chunk (or the carry buffer) and are only valid during the call.
 */
export class RawRecord {
  /** 1-based packet number, counting packet records in file order (like Wireshark's frame.number). */
  frame = 0;
  iface = 0;
  linkType = 0;
  /** False for pcapng Simple Packet Blocks, which carry no timestamp. */
  hasTime = true;
  tsSec = 0;
  tsNsec = 0;
  caplen = 0;
  wireLen = 0;
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  /** Offset of the first packet byte in `buf`. */
  off = 0;
  /** Absolute offset of the record or block in the capture stream. */
  streamOffset = 0;
}

export interface CaptureComment {
  text: string;
  /** Block carrying it: `SHB`, `IDB`, `EPB`, … */
  block: string;
  /** Packet number when attached to a packet. */
  packet?: number;
  offset: number;
}

export interface RecordSink {
  onInterface(iface: InterfaceInfo): void;
  onRecord(rec: RawRecord): void;
  onComment(comment: CaptureComment): void;
}

/** Container-level facts gathered while reading (what `capinfos` prints about the file itself). */
export interface ContainerInfo {
  format: ContainerFormat | 'unknown';
  version: string;
  byteOrder: ByteOrder | 'mixed';
  /** Resolution label of a pcap file, or per-interface in pcapng. */
  sections: number;
  /** pcap file-header snaplen; for pcapng the largest IDB snaplen. */
  snaplen: number;
  blockCounts: Record<string, number>;
  /** Bytes read from the decompressed stream. */
  bytesRead: number;
}
