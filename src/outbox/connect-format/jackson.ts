/**
 * JSON text exactly as Kafka Connect's JsonConverter writes it (Jackson's UTF-8 generator with
 * default features), where it differs from JSON.stringify: control characters other than
 * \b \t \n \f \r are escaped with upper-case hex, and a character outside the Basic
 * Multilingual Plane is written as an escaped surrogate pair (`\uD83C\uDF89`), not as UTF-8.
 */
export function jacksonString(text: string): string {
  let out = '"';
  let plainFrom = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const escaped = escapeOf(code);
    if (escaped === undefined) continue;
    out += text.slice(plainFrom, index) + escaped;
    plainFrom = index + 1;
  }
  return `${out + text.slice(plainFrom)}"`;
}

const SHORT_ESCAPES: Record<number, string> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

function escapeOf(code: number): string | undefined {
  if (code >= 0x20 && code !== 0x22 && code !== 0x5c && (code < 0xd800 || code > 0xdfff)) return undefined;
  return SHORT_ESCAPES[code] ?? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A double as Java's Double.toString writes it (and so Jackson): the shortest digits that
 * identify it (JDK 19+, the same digits as JavaScript's), in plain notation with at least one
 * fraction digit for 10^-3 <= |d| < 10^7 (`5.0`, `0.001`), else as `1.23456789E7`, `1.0E-7`.
 */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exponent}`;
}
