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

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The contexts of a `ses.contexts` result (`{current, contexts: [{name, current, versions,
 * latest: {created_ms, head: {branch, describe}, counts}}]}`, or a bare array) as
 * quick-pick items: most recently captured first, the current context last (switching to
 * it changes nothing), names breaking ties. Entries without a name are skipped.
 */
export function contextItems(result: unknown): ContextItem[] {
  const r = result as { contexts?: unknown; current?: unknown } | unknown[] | null;
  const list: unknown[] = Array.isArray(r) ? r : Array.isArray(obj(r).contexts) ? (obj(r).contexts as unknown[]) : [];
  const currentName = Array.isArray(r) ? undefined : str(obj(r).current);
  const items: (ContextItem & { at: number })[] = [];
  for (const e of list) {
    const c = obj(e);
    const name = str(c.name);
    if (!name) continue;
    const latest = obj(c.latest);
    const head = obj(latest.head ?? c.head);
    const current = c.current === true || name === currentName;
    const parts: string[] = [];
    const branch = str(head.branch) ?? str(c.branch) ?? str(head.describe);
    if (branch) parts.push(`$(git-branch) ${branch}`);
    const at = num(latest.created_ms) ?? num(c.created_ms) ?? num(c.updated) ?? 0;
    const t = at > 0 ? when(at) : undefined;
    if (t) parts.push(t);
    const counts = obj(latest.counts);
    const changed = (num(counts.staged) ?? 0) + (num(counts.unstaged) ?? 0) + (num(counts.untracked) ?? 0);
    if (changed > 0) parts.push(`${changed} changed file${changed === 1 ? '' : 's'}`);
    const versions = num(c.versions);
    items.push({
      name,
      label: current ? `$(check) ${name}` : name,
      description: parts.join(' · ') || undefined,
      detail: versions !== undefined ? `${versions} version${versions === 1 ? '' : 's'}${current ? ' · current' : ''}` : undefined,
      current,
      at,
    });
  }
  items.sort((a, b) => Number(a.current) - Number(b.current) || b.at - a.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return items.map(({ at: _at, ...i }) => i);
}

export interface PendingItem {
  id: string;
  label: string;
  description?: string;
}

/** The unfinished switches of a `ses.recover` result (`{pending: [...]}`), oldest first. */
export function pendingItems(result: unknown): PendingItem[] {
  const pending = obj(result).pending;
  if (!Array.isArray(pending)) return [];
  const out: PendingItem[] = [];
  for (const e of pending) {
    const p = obj(e);
    const id = str(p.id);
    if (!id) continue;
    const from = str(p.from) ?? '?';
    const to = str(p.to) ?? '?';
    const t = num(p.started_ms) !== undefined ? when(p.started_ms) : undefined;
    const saved = str(p.saved);
    const parts = [t ? `started ${t}` : undefined, saved ? `work saved as ${saved}${num(p.saved_version) !== undefined ? ` v${p.saved_version}` : ''}` : undefined];
    out.push({ id, label: `${from} → ${to}`, description: parts.filter(Boolean).join(' · ') || undefined });
  }
  return out;
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
