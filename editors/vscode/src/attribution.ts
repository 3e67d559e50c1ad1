// The text of SES: Show Attribution (and of a value lens, when clicked): a Markdown page
// from the server's `ses.showAttribution` result.
//
// Invariant: no `vscode` import (tested in plain Node); any JSON gives a page, never an
// exception.

interface Author {
  name?: unknown;
  email?: unknown;
  lines?: unknown;
  share?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function percent(a: Author & { percent?: unknown }): string {
  // The server's own integer percent (largest remainder, adds up to 100) when it sends one.
  if (typeof a.percent === 'number') return `${a.percent}%`;
  const share = a.share;
  return typeof share === 'number' && Number.isFinite(share) ? `${Math.round(share * 100)}%` : '';
}

function authorTable(authors: Author[]): string[] {
  const rows = ['| who | lines | share |', '| --- | ---: | ---: |'];
  for (const a of authors) {
    const who = str(a.name) ?? str(a.email) ?? 'unknown';
    const email = str(a.email) && str(a.name) ? ` <${a.email}>` : '';
    const lines = typeof a.lines === 'number' ? String(a.lines) : '';
    rows.push(`| ${who}${email} | ${lines} | ${percent(a)} |`);
  }
  return rows;
}

function commitLines(commits: unknown[]): string[] {
  const out: string[] = [];
  for (const c of commits) {
    const x = (c ?? {}) as Record<string, unknown>;
    const n = typeof x.lines === 'number' ? ` (${x.lines} line${x.lines === 1 ? '' : 's'})` : '';
    if (x.uncommitted === true) {
      out.push(`* not committed yet${n}`);
      continue;
    }
    const id = str(x.id)?.slice(0, 8) ?? '????????';
    const who = str(x.name) ?? str(x.email) ?? 'unknown';
    const date = str(x.date) ? ` ${x.date}` : '';
    const summary = str(x.summary) ? ` ${x.summary}` : '';
    out.push(`* \`${id}\` ${who}${date}:${summary}${n}`);
  }
  return out;
}

/**
 * A Markdown page for a `ses.showAttribution` result: `{path, symbol?: {name, kind},
 * lines, uncommitted, authors: [{name, email, lines, share, percent}], commits: [{id,
 * name, date, summary, lines, uncommitted}], money: [{text}], why}`. Anything else is
 * shown as JSON.
 */
export function attributionText(result: unknown): string {
  if (typeof result === 'string') return result;
  const r = (result ?? {}) as Record<string, unknown>;
  if (!Array.isArray(r.authors)) {
    return ['# SES: who wrote this', '', '```json', JSON.stringify(result, null, 2), '```', ''].join('\n');
  }
  const sym = (r.symbol ?? undefined) as Record<string, unknown> | undefined;
  const where = str(r.path) ?? 'this file';
  const title =
    sym && str(sym.name) ? `${str(sym.kind) ? `${sym.kind} ` : ''}\`${sym.name}\` in ${where}` : where;
  const out: string[] = [`# Who wrote ${title}`, ''];
  const facts: string[] = [];
  if (typeof r.lines === 'number') facts.push(`${r.lines} lines`);
  if (typeof r.uncommitted === 'number' && r.uncommitted > 0) facts.push(`${r.uncommitted} not committed yet`);
  if (facts.length > 0) out.push(facts.join(', '), '');
  out.push(...authorTable(r.authors as Author[]), '');
  if (Array.isArray(r.money) && r.money.length > 0) {
    const earned = r.money.map((m) => str((m as Record<string, unknown>)?.text)).filter((t): t is string => !!t);
    if (earned.length > 0) out.push(`Earned: ${earned.join(', ')}`, '');
  }
  if (Array.isArray(r.commits) && r.commits.length > 0) out.push('## Commits', '', ...commitLines(r.commits), '');
  if (str(r.why)) out.push('## How SES counts', '', String(r.why), '');
  return out.join('\n');
}

