import { ConfigError } from '../errors.js';

const PLACEHOLDER = /\{([^{}]+)\}/g;
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export interface TopicTemplate {
  readonly columns: readonly string[];
  render(columnText: (column: string) => string | null): string;
}

/** `outbox.event.{aggregate_type}` -> a function over a row's text values. */
export function compileTopicTemplate(template: string): TopicTemplate {
  const parts = template.split(PLACEHOLDER);
  const columns = parts.filter((_, index) => index % 2 === 1);
  const literal = parts.filter((_, index) => index % 2 === 0).join('');
  if (literal !== '' && !/^[a-zA-Z0-9._-]*$/.test(literal)) {
    throw new ConfigError(
      'OUTBOX_TOPIC_TEMPLATE',
      `"${template}" has characters Kafka does not allow in topic names`,
    );
  }
  return {
    columns,
    render(columnText) {
      return parts.map((part, index) => (index % 2 === 1 ? (columnText(part) ?? '') : part)).join('');
    },
  };
}

export function isLegalTopic(topic: string): boolean {
  return LEGAL_TOPIC.test(topic) && topic !== '.' && topic !== '..';
}
