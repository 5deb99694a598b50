/**
 * Packet-derived text (DNS names, comments, interface names) is attacker-controlled. Before it is
 * shown anywhere it is capped in length and its control, bidi-override and other invisible formatting
 * characters are made visible as \u{…} escapes, so a name cannot hide or reorder what a user reads
 * nor drive a terminal with escape sequences.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;

export function visibleText(s: string, maxChars = 512): string {
  const capped = s.length > maxChars ? `${s.slice(0, maxChars)}…` : s;
  return capped.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
