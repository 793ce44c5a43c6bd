#!/usr/bin/env bash
# A 3-node Kafka cluster on loopback for fault tests: each node a combined broker and controller (KRaft,
# static quorum of the three), topics with replication factor 3 and min.insync.replicas=2. Brokers on
# 19192-19194, controllers on 19292-19294 (CLUSTER_BASE_PORT moves both). Separate from the stack's
# single broker, which keeps running.
# Sourced by scripts/stack.sh, which defines the settings (ports, paths) these functions use.
# shellcheck shell=bash disable=SC2154

CLUSTER_NODES=(1 2 3)
CLUSTER_BASE_PORT=${STACK_CLUSTER_BASE_PORT:-19191}

cluster_brokers() {
  local node list=()
  for node in "${CLUSTER_NODES[@]}"; do list+=("127.0.0.1:$((CLUSTER_BASE_PORT + node))"); done
  (IFS=,; echo "${list[*]}")
}

# cluster_node N: points the kafka_* functions at node N.
cluster_node() {
  local node=$1 voters=() other
  [[ $node =~ ^[123]$ ]] || die "cluster nodes are 1, 2 and 3: got '$node'"
  for other in "${CLUSTER_NODES[@]}"; do voters+=("$other@127.0.0.1:$((CLUSTER_BASE_PORT + 100 + other))"); done
  KAFKA_HOME="$CLUSTER_HOME/node$node"
  KAFKA_PID_FILE="$KAFKA_HOME/kafka.pid"
  KAFKA_LOG="$KAFKA_HOME/kafka.log"
  KAFKA_SERVER_LOG="$KAFKA_HOME/server.log"
  KAFKA_BROKERS="127.0.0.1:$((CLUSTER_BASE_PORT + node))"
  KAFKA_CONTROLLER="127.0.0.1:$((CLUSTER_BASE_PORT + 100 + node))"
  KAFKA_NODE_ID=$node
  KAFKA_QUORUM=$(IFS=,; echo "${voters[*]}")
  KAFKA_REPLICATION=3
  KAFKA_MIN_ISR=2
  KAFKA_HEAP=384m
  KAFKA_SECURE=false
  mkdir -p "$KAFKA_HOME"
}

cluster_up() {
  local node start
  start=$(now)
  mkdir -p "$CLUSTER_HOME"
  [[ -f $CLUSTER_HOME/cluster-id ]] || java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid >"$CLUSTER_HOME/cluster-id"
  KAFKA_CLUSTER_ID=$(cat "$CLUSTER_HOME/cluster-id")
  for node in "${CLUSTER_NODES[@]}"; do (cluster_node "$node" && kafka_launch); done
  for node in "${CLUSTER_NODES[@]}"; do (cluster_node "$node" && kafka_wait_answers); done
  cluster_wait_complete
  log "kafka cluster of 3 ready on $(cluster_brokers) in $(since "$start")"
  cluster_brokers
}

# Each node answering is not enough: a topic with replication factor 3 needs all three registered.
cluster_wait_complete() {
  local deadline=$((SECONDS + READY_TIMEOUT_S)) answer
  until answer=$(node "$ROOT/scripts/kafka/ping.mjs" "$(cluster_brokers)" 2>&1) && [[ $answer == *": 3 broker(s)" ]]; do
    ((SECONDS < deadline)) || die "the kafka cluster on $(cluster_brokers) did not list 3 brokers within ${READY_TIMEOUT_S}s: $answer"
    sleep 0.3
  done
}

cluster_down() {
  local node
  for node in "${CLUSTER_NODES[@]}"; do (cluster_node "$node" && kafka_stop); done
  rm -rf "$CLUSTER_HOME"
}

# cluster_broker stop|kill|start N
cluster_broker() {
  local action=$1 node=${2:-} pid start
  cluster_node "$node"
  KAFKA_CLUSTER_ID=$(cat "$CLUSTER_HOME/cluster-id" 2>/dev/null) || die "no cluster: 'npm run stack -- cluster-up' first"
  case $action in
  stop) kafka_stop ;;
  kill)
    if pid=$(kafka_pid); then
      kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      rm -f "$KAFKA_PID_FILE"
      log "kafka node $node killed (pid $pid)"
    fi
    ;;
  start)
    start=$(now)
    kafka_launch
    kafka_wait_answers
    log "kafka node $node ready on $KAFKA_BROKERS in $(since "$start")"
    ;;
  *) die "cluster-broker takes stop, kill or start" ;;
  esac
}
