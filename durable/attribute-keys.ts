/**
 * The attribute-key dictionary of the R2 trace format (durable/trace-codec.ts, version 2): keys
 * written as their index in this list; a key not in it is written as itself. A
 * small trace pays the first occurrence of every key in full (gzip only shortens repeats), and the
 * semantic-convention keys that OpenTelemetry SDKs, instrumentations and Zipkin clients emit are
 * most of that text. Part of the format: append only, never reorder or remove (a test in
 * trace-codec.test.ts pins the list by its hash).
 */
export const ATTRIBUTE_KEYS: readonly string[] = [
  // resources
  'service.name', 'service.version', 'service.namespace', 'service.instance.id', 'deployment.environment.name',
  'deployment.environment', 'telemetry.sdk.language', 'telemetry.sdk.name', 'telemetry.sdk.version', 'telemetry.distro.name',
  'telemetry.distro.version', 'telemetry.auto.version', 'host.name', 'host.id', 'host.ip', 'host.type', 'host.arch',
  'host.image.id', 'host.image.name', 'os.type', 'os.name', 'os.version', 'os.description', 'process.pid',
  'process.parent_pid', 'process.executable.name', 'process.executable.path', 'process.command', 'process.command_line',
  'process.command_args', 'process.owner', 'process.runtime.name', 'process.runtime.version', 'process.runtime.description',
  'container.id', 'container.name', 'container.image.name', 'container.image.tag', 'k8s.cluster.name', 'k8s.namespace.name',
  'k8s.pod.name', 'k8s.pod.uid', 'k8s.node.name', 'k8s.deployment.name', 'k8s.replicaset.name', 'k8s.statefulset.name',
  'k8s.daemonset.name', 'k8s.container.name', 'cloud.provider', 'cloud.platform', 'cloud.region', 'cloud.availability_zone',
  'cloud.account.id', 'cloud.resource_id', 'faas.name', 'faas.version', 'faas.instance', 'faas.max_memory',
  // HTTP, URL, network
  'http.request.method', 'http.request.method_original', 'http.response.status_code', 'http.route', 'http.request.body.size',
  'http.response.body.size', 'http.request.resend_count', 'url.full', 'url.path', 'url.query', 'url.scheme', 'url.fragment',
  'server.address', 'server.port', 'client.address', 'client.port', 'network.peer.address', 'network.peer.port',
  'network.local.address', 'network.local.port', 'network.protocol.name', 'network.protocol.version', 'network.transport',
  'network.type', 'user_agent.original', 'error.type', 'peer.service',
  // HTTP and network before the stable conventions (still the default of many instrumentations)
  'http.method', 'http.url', 'http.target', 'http.host', 'http.scheme', 'http.status_code', 'http.status_text',
  'http.flavor', 'http.user_agent', 'http.client_ip', 'http.server_name', 'http.path', 'http.request_content_length',
  'http.request_content_length_uncompressed', 'http.response_content_length', 'http.response_content_length_uncompressed',
  'net.host.name', 'net.host.port', 'net.host.ip', 'net.peer.name', 'net.peer.port', 'net.peer.ip', 'net.transport',
  // databases
  'db.system.name', 'db.system', 'db.namespace', 'db.name', 'db.collection.name', 'db.operation.name', 'db.operation',
  'db.query.text', 'db.query.summary', 'db.statement', 'db.user', 'db.connection_string', 'db.response.status_code',
  'db.response.returned_rows', 'db.operation.batch.size', 'db.redis.database_index', 'db.mongodb.collection', 'db.sql.table',
  // RPC and messaging
  'rpc.system', 'rpc.service', 'rpc.method', 'rpc.grpc.status_code', 'messaging.system', 'messaging.destination.name',
  'messaging.operation.type', 'messaging.operation.name', 'messaging.operation', 'messaging.message.id',
  'messaging.batch.message_count', 'messaging.consumer.group.name', 'messaging.destination.partition.id',
  'messaging.kafka.message.key', 'messaging.kafka.offset', 'messaging.kafka.message.offset',
  // exceptions, code, threads, users, status
  'exception.type', 'exception.message', 'exception.stacktrace', 'exception.escaped', 'code.function.name',
  'code.file.path', 'code.line.number', 'code.column.number', 'code.function', 'code.namespace', 'code.filepath',
  'code.lineno', 'thread.id', 'thread.name', 'enduser.id', 'enduser.role', 'session.id', 'user.id', 'otel.status_code',
  'otel.status_description', 'otel.scope.name', 'otel.scope.version', 'otel.library.name', 'otel.library.version',
  'sampling.priority', 'component', 'error',
  // GraphQL, FaaS, cloud SDKs
  'graphql.operation.name', 'graphql.operation.type', 'graphql.document', 'faas.trigger', 'faas.invoked_name',
  'faas.invoked_provider', 'faas.invoked_region', 'faas.coldstart', 'faas.invocation_id', 'aws.region', 'aws.request_id',
  'rpc.jsonrpc.version', 'rpc.jsonrpc.request_id',
];
