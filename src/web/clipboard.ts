// Copy buttons. The Clipboard API exists only in secure contexts, and this page must work over plain http
// from any host: there, the text is selected in its field and copied with execCommand.
import { h } from './dom.js';

/** A labelled read-only field with its Copy button; `multiline` shows a command that wraps. */
export function copyField(options: { id: string; label: string; value: string; multiline?: boolean }): HTMLElement {
  const field = options.multiline
    ? h('pre', { class: 'command', id: options.id, tabindex: 0, 'aria-labelledby': `${options.id}-label` }, options.value)
    : h('input', { type: 'text', id: options.id, value: options.value, readonly: true, spellcheck: 'false' });
  const button = h('button', { type: 'button', class: 'button secondary', 'aria-describedby': `${options.id}-label` }, 'Copy');
  const status = h('span', { class: 'visually-hidden', role: 'status' });
  button.addEventListener('click', () => {
    void copyText(options.value, field).then((copied) => {
      button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
      status.textContent = copied ? `${options.label} copied` : `${options.label} selected: press Ctrl+C to copy it`;
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    });
  });
  const label = options.multiline
    ? h('span', { class: 'label', id: `${options.id}-label` }, options.label)
    : h('label', { for: options.id, id: `${options.id}-label` }, options.label);
  return h('div', { class: 'copy-field' }, label, h('div', { class: 'copy-row' }, field, button), status);
}

async function copyText(text: string, field: HTMLElement): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: fall back to the selection below.
    }
  }
  select(field);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

function select(field: HTMLElement): void {
  if (field instanceof HTMLInputElement) {
    field.focus();
    field.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(field);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}
