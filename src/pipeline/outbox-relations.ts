import type { Logger } from 'pino';
import { SetupError } from '../errors.js';
import type { OutboxLayout } from '../outbox/layout.js';
import { compileRowMapper, isOutboxRelation, type RowMapper } from '../outbox/mapper.js';
import type { RelationMessage } from '../replication/pgoutput/messages.js';

/** The outbox table as the latest Relation message describes it. */
export interface OutboxTable {
  readonly relation: RelationMessage;
  readonly mapRow: RowMapper;
}

/**
 * The relations a session's stream describes: the outbox table, mapped by its latest Relation
 * message (a schema change mid-stream is followed), and the others, named in case a row of
 * theirs arrives.
 */
export class OutboxRelations {
  private current: OutboxTable | undefined;
  /** The outbox table's columns as last logged: the server resends its Relation message after cache invalidations. */
  private loggedColumns = '';
  /** Relations the publication sends besides the outbox, by oid. */
  private readonly others = new Map<number, string>();

  constructor(
    private readonly layout: OutboxLayout,
    private readonly publication: string,
    /** Tables the publication published when the session started (a shared publication): their rows are not events. */
    private readonly publishedTables: ReadonlySet<string>,
    private readonly logger: Logger,
  ) {}

  get outbox(): OutboxTable | undefined {
    return this.current;
  }

  described(relation: RelationMessage): void {
    if (!isOutboxRelation(this.layout, relation)) {
      this.others.set(relation.relationOid, `${relation.schema}.${relation.table}`);
      return;
    }
    this.current = { relation, mapRow: compileRowMapper(this.layout, relation) };
    this.logLayoutIfChanged(relation);
  }

  /**
   * A row of a relation that is not the outbox (reading the table). Another table of a shared
   * publication is not an event; any other relation is one the publication did not publish when
   * the session started: a partition after publish_via_partition_root was turned off, or a table
   * added while running. Confirming past it unpublished would lose it if it is an event.
   */
  refuseOther(relationOid: number): void {
    const relation = this.others.get(relationOid) ?? `relation ${relationOid}`;
    if (this.publishedTables.has(relation)) return;
    throw new SetupError(
      `the publication "${this.publication}" sent a row of ${relation}, which is not the outbox table ` +
        `${this.layout.schema}.${this.layout.table} and was not published when this session started; nothing past it is ` +
        `confirmed. If it is a partition of the outbox, set publish_via_partition_root = true on the publication ` +
        `(\`outbox-relay init\` does); if it is a table added to a shared publication, start the relay again`,
    );
  }

  private logLayoutIfChanged(relation: RelationMessage): void {
    const columns = relation.columns.map((column) => column.name);
    const described = `${relation.relationOid}:${columns.join(',')}`;
    if (described === this.loggedColumns) return;
    this.loggedColumns = described;
    this.logger.info({ columns }, 'outbox table layout received');
  }
}
