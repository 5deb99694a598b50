import type { Report } from './schema.js';

/**
 * A CSV cell. Text from packets can start with =, +, - or @ and would run as a formula in a
 * spreadsheet (CSV injection): such cells are prefixed with an apostrophe, and quotes are doubled.
 */
export function csvCell(x: string | number | boolean | null | undefined): string {
  if (x === null || x === undefined) return '';
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  let s = x;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** TCP and UDP conversations, one row each, with the TCP details when the report has them. */
export function conversationsCsv(r: Report): string {
  const details = new Map(r.tcp.flows.items.map((f) => [f.id, f]));
  const rows: Array<Array<string | number | null>> = [];
  for (const [proto, list] of [['tcp', r.conversations.tcp.items], ['udp', r.conversations.udp.items]] as const) {
    for (const c of list) {
      const d = proto === 'tcp' ? details.get(c.id) : undefined;
      rows.push([
        proto, c.id, c.a.ip, c.a.port, c.b.ip, c.b.port, c.service, c.start, c.duration,
        c.packetsAB, c.bytesAB, c.packetsBA, c.bytesBA,
        d?.state ?? null, d?.rtt.irtt ?? null, d?.retransmittedSegments ?? null, d?.dataSegments ?? null,
      ]);
    }
  }
  return csv(
    ['protocol', 'stream', 'address_a', 'port_a', 'address_b', 'port_b', 'service', 'start_s', 'duration_s', 'packets_a_to_b', 'bytes_a_to_b', 'packets_b_to_a', 'bytes_b_to_a', 'tcp_state', 'irtt_s', 'retransmitted_segments', 'data_segments'],
    rows,
  );
}

export function tcpEventsCsv(r: Report): string {
  return csv(
    ['frame', 'time_s', 'tcp_stream', 'event', 'detail'],
    r.tcp.events.items.map((e) => [e.frame, e.time, e.flow, e.type, e.detail ?? null]),
  );
}
