import { ConfigError } from '../errors.js';

const PLACEHOLDER = /\{([^{}]+)\}/g;
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export interface TopicTemplate {
  /** The columns the template names, in order of appearance (a column may appear twice). */
  readonly columns: readonly string[];
  /** The topic for the values of `columns`, in that order; NULL renders as nothing. */
  render(values: readonly (string | null)[]): string;
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
    render(values) {
      return parts.map((part, index) => (index % 2 === 1 ? (values[(index - 1) / 2] ?? '') : part)).join('');
    },
  };
}

export function isLegalTopic(topic: string): boolean {
  return LEGAL_TOPIC.test(topic) && topic !== '.' && topic !== '..';
}
