// Numbers as Heartbeat writes them in message fields: hex (`%lx`) for seqs and generations, decimal for rexmit ranges.

/** A lower-case or upper-case hex number as Heartbeat writes it (`%lx`); undefined if it is not one. */
export function parseHex(s: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,13}$/.test(s)) return undefined;
  return Number.parseInt(s, 16);
}

/** A decimal number (the `firstseq`/`lastseq` of a retransmission request); undefined if it is not one. */
export function parseDecimal(s: string): number | undefined {
  if (!/^\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}
