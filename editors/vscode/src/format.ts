// Turning the server's JSON results into the text the palette commands show.
//
// Invariant: no `vscode` import (tested in plain Node); bad or missing fields give a
// readable fallback, never an exception.

/** The digits after the decimal point of an ISO 4217 currency (JPY 0, USD 2, KWD 3). */
export function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/** An amount in minor units as the currency writes it: 41210 USD → "412.10 USD". */
export function formatMinor(amountMinor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = amountMinor < 0;
  const s = String(Math.abs(Math.trunc(amountMinor))).padStart(digits + 1, '0');
  const whole = digits === 0 ? s : s.slice(0, s.length - digits);
  const frac = digits === 0 ? '' : `.${s.slice(s.length - digits)}`;
  return `${negative ? '-' : ''}${whole}${frac} ${currency}`;
}

/** Checks an amount typed by the user; returns why it is wrong, or undefined. */
export function amountProblem(text: string, currency: string): string | undefined {
  const digits = currencyDigits(currency);
  const t = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(t)) return 'Type an amount such as 12.34';
  const frac = t.includes('.') ? t.split('.')[1].length : 0;
  if (frac > digits) return `${currency} has ${digits} decimal${digits === 1 ? '' : 's'}`;
  return undefined;
}

export interface ContextItem {
  name: string;
  label: string;
  description?: string;
  detail?: string;
  current: boolean;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function when(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) {
    // Seconds or milliseconds since the epoch.
    const ms = v < 1e12 ? v * 1000 : v;
    return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
  }
  const s = str(v);
  return s ? s.replace('T', ' ').slice(0, 16) : undefined;
}

/**
 * The contexts of a `ses.contexts` result as quick-pick items, in the server's order (the
 * daemon sorts most recent and most relevant first). Accepts `{contexts: [...]}` or a bare
 * array; entries without a name are skipped.
 */
export function contextItems(result: unknown): ContextItem[] {
  const r = result as { contexts?: unknown; current?: unknown } | unknown[] | null;
  const list: unknown[] = Array.isArray(r)
    ? r
    : r && typeof r === 'object' && Array.isArray((r as { contexts?: unknown }).contexts)
      ? ((r as { contexts: unknown[] }).contexts)
      : [];
  const currentName =
    r && !Array.isArray(r) && typeof r === 'object' ? str((r as { current?: unknown }).current) : undefined;
  const items: ContextItem[] = [];
  for (const e of list) {
    const c = e as Record<string, unknown>;
    if (!c || typeof c !== 'object') continue;
    const name = str(c.name);
    if (!name) continue;
    const current = c.current === true || name === currentName;
    const parts: string[] = [];
    const branch = str(c.branch);
    if (branch) parts.push(`$(git-branch) ${branch}`);
    const t = when(c.updated ?? c.updated_at ?? c.captured_at ?? c.created ?? c.created_at ?? c.time);
    if (t) parts.push(t);
    const docs = c.documents ?? (c.editor as Record<string, unknown> | undefined)?.documents;
    if (typeof docs === 'number') parts.push(`${docs} file${docs === 1 ? '' : 's'}`);
    else if (Array.isArray(docs)) parts.push(`${docs.length} file${docs.length === 1 ? '' : 's'}`);
    items.push({
      name,
      label: current ? `$(check) ${name}` : name,
      description: parts.join(' · ') || undefined,
      detail: str(c.repo) ?? str(c.root),
      current,
    });
  }
  return items;
}

/** The name of the current context in a `ses.contexts` result, if it says. */
export function currentContext(result: unknown): string | undefined {
  return contextItems(result).find((i) => i.current)?.name;
}

interface Contributor {
  name?: unknown;
  email?: unknown;
  amount_minor?: unknown;
  share?: unknown;
}

/** The lines of a `ses.revenue.split` result: one per contributor, largest first. */
export function splitLines(result: unknown): string[] {
  const r = (result ?? {}) as { currency?: unknown; total_minor?: unknown; contributors?: unknown };
  const currency = str(r.currency) ?? 'USD';
  const people = Array.isArray(r.contributors) ? (r.contributors as Contributor[]) : [];
  const lines = people.map((p) => {
    const amount = typeof p.amount_minor === 'number' ? formatMinor(p.amount_minor, currency) : '?';
    const share = typeof p.share === 'number' ? ` (${Math.round(p.share * 100)}%)` : '';
    const who = str(p.name) ?? str(p.email) ?? 'unknown';
    return `${who}: ${amount}${share}`;
  });
  if (typeof r.total_minor === 'number') {
    lines.unshift(`Total ${formatMinor(r.total_minor, currency)}`);
  }
  return lines;
}
