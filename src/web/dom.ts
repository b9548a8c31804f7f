// Small DOM helpers: elements built with text nodes only (paths and messages are never parsed as HTML).

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  /** Attributes; `false` and `undefined` leave one out, `true` sets it empty. */
  readonly [attribute: string]: string | number | boolean | undefined | ((event: Event) => void);
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  element.append(...nodes(children));
  return element;
}

function nodes(children: readonly Child[]): Array<Node | string> {
  return children
    .filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === 'number' ? String(child) : child)) as Array<Node | string>;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

/** A definition list of facts, as the result and manifest views show them. */
export function facts(entries: ReadonlyArray<readonly [string, Child]>): HTMLDListElement {
  return h('dl', { class: 'facts' }, ...entries.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}
