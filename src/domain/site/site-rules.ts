// A site's `_redirects` and `_headers`, in Cloudflare Pages' format: parsed once per manifest, with a
// warning per malformed line (skipped, never a failed publish), and matched against request paths.

export type RedirectStatus = 200 | 301 | 302 | 303 | 307 | 308;
const REDIRECT_STATUSES = new Set<number>([200, 301, 302, 303, 307, 308]);

/** Headers a `_headers` file may not set or remove: they describe the bytes, not the site. */
const PROTECTED_HEADERS = new Set(['content-length', 'content-encoding', 'etag', 'x-content-type-options']);

export interface RuleWarning {
  readonly file: '_redirects' | '_headers';
  readonly line: number;
  readonly message: string;
}

interface PathPattern {
  readonly regex: RegExp;
  /** The names of the regex's groups, in order (`splat` for `*`). */
  readonly names: readonly string[];
}

export interface RedirectRule {
  readonly from: PathPattern;
  readonly to: string;
  readonly status: RedirectStatus;
}

export interface HeaderRule {
  readonly pattern: PathPattern;
  readonly set: ReadonlyArray<readonly [name: string, value: string]>;
  readonly remove: readonly string[];
}

export interface SiteRules {
  readonly redirects: readonly RedirectRule[];
  readonly headers: readonly HeaderRule[];
}

export const NO_RULES: SiteRules = { redirects: [], headers: [] };

/** `*` matches anything (`:splat`), `:name` one whole segment; everything else literally. */
function compilePattern(pattern: string): PathPattern | string {
  if (!pattern.startsWith('/')) return 'a pattern must be a path starting with "/"';
  const names: string[] = [];
  let source = '';
  for (const token of pattern.split(/(\*|:[A-Za-z_][A-Za-z0-9_]*)/)) {
    if (token === '*') {
      if (names.includes('splat')) return 'a pattern may have one "*"';
      names.push('splat');
      source += '(.*)';
    } else if (/^:[A-Za-z_]/.test(token)) {
      const name = token.slice(1);
      if (names.includes(name)) return `the placeholder :${name} appears twice`;
      names.push(name);
      source += '([^/]+)';
    } else {
      source += token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return { regex: new RegExp(`^${source}$`), names };
}

function matchPattern(pattern: PathPattern, path: string): Map<string, string> | null {
  const match = pattern.regex.exec(path);
  if (!match) return null;
  return new Map(pattern.names.map((name, i) => [name, match[i + 1] ?? '']));
}

function substitute(target: string, values: ReadonlyMap<string, string>): string {
  return target.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => values.get(name) ?? whole);
}

function contentLines(text: string): Array<{ line: number; text: string }> {
  return text.split(/\r?\n/).map((raw, i) => ({ line: i + 1, text: raw }));
}

export function parseRedirects(text: string): { rules: RedirectRule[]; warnings: RuleWarning[] } {
  const rules: RedirectRule[] = [];
  const warnings: RuleWarning[] = [];
  const warn = (line: number, message: string) => warnings.push({ file: '_redirects', line, message });
  for (const { line, text: raw } of contentLines(text)) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) {
      warn(line, 'expected "from to [status]"');
      continue;
    }
    const [from, to, statusText = '301'] = fields;
    const status = /^\d{3}$/.test(statusText) ? Number(statusText) : NaN;
    if (!REDIRECT_STATUSES.has(status)) {
      warn(line, `status ${statusText} is not one of 301, 302, 303, 307, 308 or 200`);
      continue;
    }
    const pattern = compilePattern(from);
    if (typeof pattern === 'string') {
      warn(line, pattern);
      continue;
    }
    const absolute = /^https?:\/\//i.test(to);
    if (!to.startsWith('/') && !absolute) {
      warn(line, 'the target must be a path starting with "/" or an http(s) URL');
      continue;
    }
    if (status === 200 && absolute) {
      warn(line, 'a 200 rewrite must target a path of this site');
      continue;
    }
    rules.push({ from: pattern, to, status: status as RedirectStatus });
  }
  return { rules, warnings };
}

export function parseHeaders(text: string): { rules: HeaderRule[]; warnings: RuleWarning[] } {
  const rules: Array<{ pattern: PathPattern; set: Array<[string, string]>; remove: string[] }> = [];
  const warnings: RuleWarning[] = [];
  const warn = (line: number, message: string) => warnings.push({ file: '_headers', line, message });
  let current: (typeof rules)[number] | null = null;
  for (const { line, text: raw } of contentLines(text)) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    if (!/^\s/.test(raw)) {
      const pattern = compilePattern(raw.trim());
      current = typeof pattern === 'string' ? null : { pattern, set: [], remove: [] };
      if (current) rules.push(current);
      else warn(line, pattern as string);
      continue;
    }
    if (!current) {
      warn(line, 'a header line must follow a URL pattern line');
      continue;
    }
    const entry = raw.trim();
    const removal = /^!\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(entry);
    const setting = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*)$/.exec(entry);
    const name = (removal?.[1] ?? setting?.[1])?.toLowerCase();
    if (!name || (setting && setting[2] === '')) {
      warn(line, 'expected "Name: value" or "! Name"');
    } else if (PROTECTED_HEADERS.has(name)) {
      warn(line, `${name} cannot be set or removed`);
    } else if (removal) {
      current.remove.push(name);
    } else if (setting) {
      current.set.push([name, setting[2]]);
    }
  }
  return { rules, warnings };
}

export interface RedirectMatch {
  readonly status: RedirectStatus;
  /** The target with :splat and placeholders filled in. */
  readonly to: string;
}

/** The first line whose pattern matches the path wins. */
export function matchRedirect(rules: readonly RedirectRule[], path: string): RedirectMatch | null {
  for (const rule of rules) {
    const values = matchPattern(rule.from, path);
    if (values) return { status: rule.status, to: substitute(rule.to, values) };
  }
  return null;
}

/**
 * The headers `_headers` gives a path: every matching rule in order, values of one name joined with ", ",
 * and a `! Name` removing the name (whatever set it before: a default or an earlier rule).
 */
export function headersFor(rules: readonly HeaderRule[], path: string): { set: Map<string, string>; remove: Set<string> } {
  const set = new Map<string, string>();
  const remove = new Set<string>();
  for (const rule of rules) {
    const values = matchPattern(rule.pattern, path);
    if (!values) continue;
    for (const name of rule.remove) {
      set.delete(name);
      remove.add(name);
    }
    for (const [name, value] of rule.set) {
      const filled = substitute(value, values);
      set.set(name, set.has(name) ? `${set.get(name)}, ${filled}` : filled);
      remove.delete(name);
    }
  }
  return { set, remove };
}

export function parseSiteRules(redirectsText: string | null, headersText: string | null): { rules: SiteRules; warnings: RuleWarning[] } {
  const redirects = redirectsText === null ? { rules: [], warnings: [] } : parseRedirects(redirectsText);
  const headers = headersText === null ? { rules: [], warnings: [] } : parseHeaders(headersText);
  return { rules: { redirects: redirects.rules, headers: headers.rules }, warnings: [...redirects.warnings, ...headers.warnings] };
}
