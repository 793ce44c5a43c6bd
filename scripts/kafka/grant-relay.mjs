// Creates the ACLs the relay needs (docs/production.md lists them): WRITE and DESCRIBE on the topics
// under outbox.event. and on the dead-letter topic outbox.dlq, CREATE on both (the broker auto-creates
// topics here), and IDEMPOTENT_WRITE and DESCRIBE on the cluster. Creating an ACL that exists changes nothing, so scripts/stack.sh runs this at every `up`.
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
