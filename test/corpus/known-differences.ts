/**
 * Every place where our figures differ from the tshark/capinfos 4.0.17 reference on purpose, with the
 * reason. Tests consult this list; anything not listed must agree exactly.
 */
export interface KnownDifference {
  capture: string;
  /** Metric as the tests name it: `firstTimestamp`, `protocol:ip`, `readable`, … */
  metric: string;
  reason: string;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    capture: 'pcapplusplus/pcapng-example.pcapng',
    metric: 'firstTimestamp',
    reason:
      'interface 1 timestamps are 2^64 µs minus ~505 s; capinfos compares times as signed numbers and calls them the earliest, ' +
      'while tshark (and we) read them unsigned, as the pcapng specification says, so the first packet is 2015-01-29T10:39:58.578402281Z',
  },
  {
    capture: 'tcpdump/timestamp_invalid_micro.pcap',
    metric: 'lastTimestamp',
    reason: 'a record carries a microsecond fraction of 1000000; capinfos prints it verbatim ("1418145370.1000000"), we carry it into the seconds and warn',
  },
  {
    capture: 'tcpdump/timestamp_invalid_nano.pcap',
    metric: 'lastTimestamp',
    reason: 'records carry nanosecond fractions of 1e9 and 0x80000000; capinfos prints them verbatim (and negative), we carry them into the seconds and warn',
  },
  {
    capture: 'tcpdump/timestamp_invalid_nano.pcap',
    metric: 'durationSeconds',
    reason: 'follows from the normalised invalid fractions above',
  },
  {
    capture: 'tcpdump/timestamp_invalid_micro.pcap',
    metric: 'durationSeconds',
    reason: 'follows from the normalised invalid fraction above',
  },
  {
    capture: 'tcpdump/dsa.pcap',
    metric: 'readable',
    reason: 'tshark 4.0 refuses the whole file for link type 284 (DSA tag); we read the container and count its packets as "undecoded link type 284"',
  },
  {
    capture: 'tcpdump/hoobr_juniper3.pcap',
    metric: 'readable',
    reason: 'tshark 4.0 refuses LinkType field 0x30000084; we mask the FCS bits (link type 132, Juniper) and count the packet as undecoded',
  },
  {
    capture: '*',
    metric: 'null-af-linux-windows',
    reason: 'DLT_NULL family values 10 (Linux AF_INET6) and 23 (Windows AF_INET6) decode as IPv6 here; Wireshark 4.0 shows them as data (none in the corpus)',
  },
];

export function isKnownDifference(capture: string, metric: string): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find((d) => (d.capture === capture || d.capture === '*') && d.metric === metric);
}
