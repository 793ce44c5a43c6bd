// Creates the ACLs the relay needs (docs/production.md lists them): WRITE and DESCRIBE on the topics
// under outbox.event. and on the dead-letter topic outbox.dlq, CREATE on both (the broker auto-creates
// topics here), and IDEMPOTENT_WRITE and DESCRIBE on the cluster. For exactly-once delivery also
// (docs/exactly-once.md): WRITE and DESCRIBE on the transactional ids under outbox-relay., READ,
// WRITE, DESCRIBE and CREATE on the checkpoint topic outbox.checkpoints, and READ on the groups
// under outbox.checkpoints.reader. that read it back. Creating an ACL that exists changes nothing,
// so scripts/stack.sh runs this at every `up`.
// Usage: node scripts/kafka/grant-relay.mjs 127.0.0.1:19092 User:relay
import kafkajs from 'kafkajs';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } =
  kafkajs;

const [brokers = '127.0.0.1:19092', principal = 'User:relay'] = process.argv.slice(2);

const grant = (resourceType, resourceName, resourcePatternType, operation) => ({
  resourceType,
  resourceName,
  resourcePatternType,
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

const acl = [
  ...[AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE, AclOperationTypes.CREATE].flatMap((operation) => [
    grant(AclResourceTypes.TOPIC, 'outbox.event.', ResourcePatternTypes.PREFIXED, operation),
    grant(AclResourceTypes.TOPIC, 'outbox.dlq', ResourcePatternTypes.LITERAL, operation),
  ]),
  grant(
    AclResourceTypes.CLUSTER,
    'kafka-cluster',
    ResourcePatternTypes.LITERAL,
    AclOperationTypes.IDEMPOTENT_WRITE,
  ),
  grant(AclResourceTypes.CLUSTER, 'kafka-cluster', ResourcePatternTypes.LITERAL, AclOperationTypes.DESCRIBE),
  ...[AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE].map((operation) =>
    grant(AclResourceTypes.TRANSACTIONAL_ID, 'outbox-relay.', ResourcePatternTypes.PREFIXED, operation),
  ),
  ...[
    AclOperationTypes.READ,
    AclOperationTypes.WRITE,
    AclOperationTypes.DESCRIBE,
    AclOperationTypes.CREATE,
  ].map((operation) =>
    grant(AclResourceTypes.TOPIC, 'outbox.checkpoints', ResourcePatternTypes.LITERAL, operation),
  ),
  grant(
    AclResourceTypes.GROUP,
    'outbox.checkpoints.reader.',
    ResourcePatternTypes.PREFIXED,
    AclOperationTypes.READ,
  ),
];

const admin = new Kafka({
  clientId: 'stack-acls',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
}).admin();
await admin.connect();
try {
  await admin.createAcls({ acl });
  console.log(`ACLs for ${principal}: ${acl.length} entries`);
} finally {
  await admin.disconnect();
}
