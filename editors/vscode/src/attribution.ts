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

function percent(share: unknown): string {
  return typeof share === 'number' && Number.isFinite(share) ? `${Math.round(share * 100)}%` : '';
}

function authorTable(authors: Author[]): string[] {
  const rows = ['| who | lines | share |', '| --- | ---: | ---: |'];
  for (const a of authors) {
    const who = str(a.name) ?? str(a.email) ?? 'unknown';
    const email = str(a.email) && str(a.name) ? ` <${a.email}>` : '';
    const lines = typeof a.lines === 'number' ? String(a.lines) : '';
    rows.push(`| ${who}${email} | ${lines} | ${percent(a.share)} |`);
  }
  return rows;
}

/** A Markdown page for a `ses.showAttribution` result. */
export function attributionText(result: unknown): string {
  if (typeof result === 'string') return result;
  const out: string[] = ['# SES: who wrote this', ''];
  const r = (result ?? {}) as Record<string, unknown>;
  const sections: [string, unknown][] = [];
  if (Array.isArray(r.authors)) sections.push([str(r.title) ?? str(r.symbol) ?? str(r.path) ?? 'Authors', r]);
  for (const key of ['symbol', 'file', 'repository', 'line']) {
    const v = r[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) sections.push([key, v]);
  }
  for (const [title, section] of sections) {
    const s = section as Record<string, unknown>;
    const name = str(s.name) ?? str(s.path) ?? str(s.title);
    out.push(`## ${title === 'Authors' ? title : title[0].toUpperCase() + title.slice(1)}${name && name !== title ? `: ${name}` : ''}`, '');
    const meta = ['commit', 'date', 'summary', 'author']
      .map((k) => (str(s[k]) ? `* ${k}: ${s[k]}` : undefined))
      .filter((x): x is string => !!x);
    if (meta.length > 0) out.push(...meta, '');
    if (Array.isArray(s.authors)) out.push(...authorTable(s.authors as Author[]), '');
  }
  if (sections.length === 0) out.push('```json', JSON.stringify(result, null, 2), '```', '');
  return out.join('\n');
}
