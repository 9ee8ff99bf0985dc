// Escaping templates: every interpolated value is text unless it is itself an `html` result.
export class SafeHTML {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escape = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => entities[c]);

function render(value) {
  if (value instanceof SafeHTML) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === false || value === null || value === undefined) return '';
  return escape(value);
}

export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += render(value) + strings[i + 1]; });
  return new SafeHTML(out);
}
