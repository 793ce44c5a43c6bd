#!/usr/bin/env bash
# Kafka: jars from Maven Central, KRaft storage, one broker+controller process per node: the stack's one
# node, or a node of the 3-node cluster (scripts/stack/cluster.sh sets KAFKA_NODE_ID, KAFKA_QUORUM, ...).
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154


require_java() {
  command -v java >/dev/null || die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jre-headless)"
}

kafka_resolve_jars() {
  mkdir -p "$KAFKA_HOME"
  local want stamp="$KAFKA_LIB/.pom.sha256" start
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (apt-get install -y maven)"
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIB (first run only; cached in ~/.m2)"
  start=$(now)
  rm -rf "$KAFKA_LIB"
  # Maven's whole log (every artifact downloaded) goes to mvn.log; its -q mode prints stray colour codes.
  mvn -B -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIB" >"$KAFKA_HOME/mvn.log" 2>&1 ||
    {
      show_tail "$KAFKA_HOME/mvn.log"
      die "could not resolve the Kafka jars listed in $KAFKA_POM (log: $KAFKA_HOME/mvn.log)"
    }
  echo "$want" >"$stamp"
  log "kafka jars resolved in $(since "$start"): $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars," \
    "$(du -sh "$KAFKA_LIB" | cut -f1), $(grep -c 'Downloaded from' "$KAFKA_HOME/mvn.log" || true) files downloaded (log: $KAFKA_HOME/mvn.log)"
}

kafka_write_config() {
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
# Written by scripts/stack.sh at every start: one combined broker and controller (KRaft).
process.roles=broker,controller
node.id=${KAFKA_NODE_ID:-1}
$(if [[ -n ${KAFKA_QUORUM:-} ]]; then echo "controller.quorum.voters=$KAFKA_QUORUM"; else echo "controller.quorum.bootstrap.servers=$KAFKA_CONTROLLER"; fi)
listeners=PLAINTEXT://$KAFKA_BROKERS,CONTROLLER://$KAFKA_CONTROLLER$(kafka_secure_listeners)
advertised.listeners=PLAINTEXT://$KAFKA_BROKERS,CONTROLLER://$KAFKA_CONTROLLER$(kafka_secure_listeners)
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_HOME/data
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=3
default.replication.factor=${KAFKA_REPLICATION:-1}
min.insync.replicas=${KAFKA_MIN_ISR:-1}
offsets.topic.replication.factor=${KAFKA_REPLICATION:-1}
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=${KAFKA_REPLICATION:-1}
transaction.state.log.min.isr=${KAFKA_MIN_ISR:-1}
share.coordinator.state.topic.replication.factor=${KAFKA_REPLICATION:-1}
share.coordinator.state.topic.min.isr=${KAFKA_MIN_ISR:-1}
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
EOF
  kafka_security_config >>"$KAFKA_HOME/server.properties"
  cat >"$KAFKA_HOME/log4j2.properties" <<EOF
# Written by scripts/stack.sh: the broker logs INFO to server.log (rolled at 20 MB), WARN and above to kafka.log.
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
appender.stdout.filter.threshold.type=ThresholdFilter
appender.stdout.filter.threshold.level=WARN
appender.server.type=RollingFile
appender.server.name=SERVER
appender.server.fileName=$KAFKA_SERVER_LOG
appender.server.filePattern=$KAFKA_SERVER_LOG.%i
appender.server.layout.type=PatternLayout
appender.server.layout.pattern=[%d] %p %m (%c)%n
appender.server.policies.type=Policies
appender.server.policies.size.type=SizeBasedTriggeringPolicy
appender.server.policies.size.size=20MB
appender.server.strategy.type=DefaultRolloverStrategy
appender.server.strategy.max=2
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
rootLogger.appenderRef.server.ref=SERVER
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.state.name=state.change.logger
logger.state.level=WARN
logger.network.name=kafka.network
logger.network.level=WARN
EOF
}

kafka_secure() { [[ ${KAFKA_SECURE:-} == true ]]; }

kafka_secure_listeners() {
  if kafka_secure; then echo ",SASL_SSL://$KAFKA_SASL_SSL_BROKERS,SSL://$KAFKA_SSL_BROKERS"; fi
}

# The secure listeners' settings. SASL_SSL takes SCRAM (users made at format) and PLAIN (users in its
# JAAS line); SSL requires a client certificate, whose CN is the principal (CN=relay is User:relay).
# ACLs (StandardAuthorizer) then decide what each principal may do; PLAINTEXT and the controller
# listener stay open as User:ANONYMOUS, a super user, for the tests' own clients and the broker itself.
kafka_security_config() {
  kafka_secure || return 0
  cat <<EOF
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:admin
allow.everyone.if.no.acl.found=false
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="$KAFKA_ADMIN_PASSWORD" user_$KAFKA_RELAY_USER="$KAFKA_RELAY_PASSWORD";
listener.name.ssl.ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_HOME/server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_HOME/ca.crt
ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT
EOF
}

# What the relay's principal may do (docs/production.md lists the same): write the outbox topics
# and the dead-letter topic, and use an idempotent producer. Idempotent: run at every `up`.
kafka_grant_relay() {
  kafka_secure || return 0
  node "$ROOT/scripts/kafka/grant-relay.mjs" "$KAFKA_BROKERS" "User:$KAFKA_RELAY_USER" >>"$KAFKA_LOG" 2>&1 ||
    {
      show_tail "$KAFKA_LOG"
      die "could not create the relay's ACLs on $KAFKA_BROKERS"
    }
}

kafka_format() {
  # A broker formatted before the stack had secure listeners lacks their SCRAM users: start it afresh.
  if kafka_secure && [[ -f $KAFKA_HOME/data/meta.properties && ! -f $KAFKA_HOME/data/stack-scram-users ]]; then
    log "kafka storage predates the SCRAM users: formatting it afresh"
    rm -rf "$KAFKA_HOME/data"
    mkdir -p "$KAFKA_HOME/data"
  fi
  [[ -f $KAFKA_HOME/data/meta.properties ]] && return 0
  local start cluster_id quorum=(--standalone) scram=()
  start=$(now)
  # SCRAM credentials go into the metadata log at format.
  if kafka_secure; then scram=(
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]"
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_RELAY_USER,password=$KAFKA_RELAY_PASSWORD]"
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_RELAY_USER,password=$KAFKA_RELAY_PASSWORD]"
  ); fi
  cluster_id=${KAFKA_CLUSTER_ID:-$(java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid)}
  # A static quorum (controller.quorum.voters) is formatted as it is; one node formats itself as the quorum.
  [[ -n ${KAFKA_QUORUM:-} ]] && quorum=()
  java -cp "$KAFKA_LIB/*" -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" kafka.tools.StorageTool \
    format -t "$cluster_id" -c "$KAFKA_HOME/server.properties" "${quorum[@]}" "${scram[@]}" >>"$KAFKA_LOG" 2>&1 ||
    {
      show_tail "$KAFKA_LOG"
      die "kafka storage format failed"
    }
  if kafka_secure; then touch "$KAFKA_HOME/data/stack-scram-users"; fi
  log "kafka storage formatted in $(since "$start") (cluster id $cluster_id)"
}

kafka_pid() {
  local pid
  [[ -f $KAFKA_PID_FILE ]] || return 1
  pid=$(cat "$KAFKA_PID_FILE")
  # The pid must still be our broker: kafka.Kafka with our server.properties (pids get reused).
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA_HOME/server.properties" &&
    echo "$pid"
}

# A real metadata request: kafkajs describeCluster when node_modules is there, else Kafka's TopicCommand.
kafka_answers() {
  if [[ -f $ROOT/node_modules/kafkajs/package.json ]]; then
    node "$ROOT/scripts/kafka/ping.mjs" "$KAFKA_BROKERS" >/dev/null 2>&1
  else
    java -cp "$KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" --list >/dev/null 2>&1
  fi
}

kafka_wait_answers() {
  wait_answers kafka_answers kafka_pid "the Kafka broker exited during start-up" \
    "Kafka on $KAFKA_BROKERS did not answer a metadata request within ${READY_TIMEOUT_S}s" \
    "$KAFKA_LOG" "$KAFKA_SERVER_LOG"
}

kafka_start() {
  local start
  start=$(now)
  kafka_launch
  kafka_wait_answers
  log "kafka ready on $KAFKA_BROKERS in $(since "$start")"
}

# Starts the node's JVM unless it runs; does not wait (the nodes of a cluster answer only together).
kafka_launch() {
  local pid
  require_java
  if pid=$(kafka_pid); then
    log "kafka already running (pid $pid)"
  else
    kafka_resolve_jars
    kafka_write_config
    kafka_format
    # setsid: the broker outlives this script and is not in the caller's process group (npm, vitest).
    # shellcheck disable=SC2016 # expanded by the inner bash, which then becomes the JVM (exec)
    KAFKA_HOME="$KAFKA_HOME" KAFKA_LIB="$KAFKA_LIB" KAFKA_PID_FILE="$KAFKA_PID_FILE" KAFKA_HEAP="${KAFKA_HEAP:-768m}" setsid bash -c '
      echo $$ >"$KAFKA_PID_FILE"
      exec java -Xmx"$KAFKA_HEAP" -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
        -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_HOME/server.properties"' \
      </dev/null >>"$KAFKA_LOG" 2>&1 9>&- &
    local waited=0
    until [[ -s $KAFKA_PID_FILE ]] || ((waited++ > 50)); do sleep 0.1; done
  fi
}

kafka_stop() {
  local pid
  pid=$(kafka_pid) || {
    rm -f "$KAFKA_PID_FILE"
    return 0
  }
  terminate "kafka" "$pid"
  rm -f "$KAFKA_PID_FILE"
  log "kafka stopped (pid $pid)"
}
