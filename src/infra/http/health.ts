import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Db } from '../db/database.ts'
import { checkPrimary, type PrimaryCheck, replicaLag } from '../db/node-status.ts'
import type { ReadRouter } from '../db/read-router.ts'
import { errorResponses } from './schemas.ts'
import type { HttpServer } from './server.ts'

const State = Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('read-only'), Type.Literal('lagging')], {
  description:
    "The primary: up, down, or read-only (it answers but refuses writes). A replica, as this process's read router last saw it: " +
    'up (serves reads), down (unreachable: its reads go elsewhere) or lagging (further behind than BRISK_REPLICA_MAX_LAG_MS: skipped).',
})

const Nodes = Type.Optional(
  Type.Array(Type.Object({ name: Type.String({ description: 'primary, replica-1, replica-2, …' }), state: State }), {
    description: 'With replicas (BRISK_REPLICA_URLS): the state of each node, the primary first.',
  }),
)

const Ready = Type.Object({ status: Type.Literal('ok'), nodes: Nodes })
const NotReady = Type.Object({ status: Type.Literal('unavailable'), nodes: Nodes })

const Count = Type.Integer({ minimum: 0 })

const ReplicaDetails = Type.Object({
  name: Type.String(),
  address: Type.Union([Type.String(), Type.Null()], { description: 'Host, port and database name; never a password' }),
  state: State,
  reads: Type.Integer({ description: 'Reads it served (this process)' }),
  failures: Type.Integer({ description: 'Times it was found unreachable (this process)' }),
  lagBytes: Type.Union([Type.Number(), Type.Null()], { description: 'WAL bytes not replayed yet at the last check; null while down' }),
  lagMs: Type.Union([Type.Number(), Type.Null()], {
    description: 'Age of the oldest commit not replayed yet at the last check; null while down',
  }),
  replayedLsn: Type.Union([Type.String(), Type.Null()], { description: 'WAL position replayed at the last check' }),
})

const Details = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  uptimeSeconds: Type.Number(),
  database: Type.Object({
    kind: Type.String(),
    description: Type.String({ description: 'Host, port and database name, or the data folder; never a password' }),
    state: State,
    latencyMs: Type.Union([Type.Number(), Type.Null()], { description: 'Time of the check; null when it failed' }),
    walLsn: Type.Union([Type.String(), Type.Null()], { description: "The primary's WAL position; null when it failed" }),
    error: Type.Optional(Type.String()),
    pool: Type.Optional(
      Type.Object({ total: Type.Integer(), idle: Type.Integer(), waiting: Type.Integer(), max: Type.Integer() }),
    ),
  }),
  replicas: Type.Optional(
    Type.Object(
      {
        maxLagMs: Type.Number(),
        failovers: Type.Integer({ description: 'Reads that failed on a replica and ran again on another node' }),
        primaryReads: Type.Object(
          { replicas_down: Count, replicas_lagging: Count, read_your_writes: Count, fresh_required: Count },
          { description: 'Reads of the replicas that the primary served instead, by reason' },
        ),
        nodes: Type.Array(ReplicaDetails),
      },
      { description: "With BRISK_REPLICA_URLS: this process's read router (each process keeps its own figures)" },
    ),
  ),
})

/** Each node's name and state, the primary first; the replicas as the router last saw them. */
function nodeStates(primary: PrimaryCheck, router: ReadRouter) {
  return [{ name: 'primary', state: primary.state }, ...router.status().nodes.map(({ name, state }) => ({ name, state }))]
}

function replicaDetails(router: ReadRouter) {
  const { nodes, ...totals } = router.status()
  return {
    ...totals,
    nodes: nodes.map((node) => ({
      name: node.name,
      address: node.address ?? null,
      state: node.state,
      reads: node.reads,
      failures: node.failures,
      ...replicaLag(node),
      replayedLsn: node.replayedLsn ?? null,
    })),
  }
}

export interface HealthOptions {
  /** Throws (an AppError) when the caller may not see where the database is; decided by the composition root. */
  authorizeDetails: (request: FastifyRequest) => void
}

/**
 * The public probes answer only up or down, and each node's state by name: where the database
 * lives is for operators, behind a token. Ready means the primary answers: a replica down or
 * lagging costs nothing but load on the primary, which serves its reads.
 */
export function registerHealthRoutes(app: HttpServer, db: Db, options: HealthOptions): void {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'Liveness',
        description: 'Liveness: the process answers HTTP.',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'Readiness',
        description:
          'Readiness: the primary database answers (a read-only primary still serves reads; a replica down or lagging does ' +
          'not make Brisk unready, the primary takes its reads). The body says ok or unavailable and, with replicas, each ' +
          "node's state by name; where they are is at /health/details.",
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (request, reply) => {
      const primary = await checkPrimary(db)
      const nodes = db.replicas ? { nodes: nodeStates(primary, db.replicas) } : {}
      if (primary.state !== 'down') return { status: 'ok' as const, ...nodes }
      request.log.warn({ error: primary.error }, 'readiness check failed: the database does not answer')
      return reply.status(503).send({ status: 'unavailable' as const, ...nodes })
    },
  )
  app.get(
    '/health/details',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness with details, for operators',
        description:
          'Readiness with details for operators: which database, its state, latency and WAL position, the connection pool; ' +
          "with replicas, each one's address, state, lag and reads served. Needs an admin token.",
        response: { 200: Details, 503: Details, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      options.authorizeDetails(request)
      const check = await checkPrimary(db)
      const database = { kind: db.kind, description: db.description, ...check, ...(db.poolStats ? { pool: db.poolStats() } : {}) }
      const status = check.state === 'down' ? ('unavailable' as const) : ('ok' as const)
      return reply.status(status === 'ok' ? 200 : 503).send({
        status,
        uptimeSeconds: Math.round(process.uptime()),
        database,
        ...(db.replicas ? { replicas: replicaDetails(db.replicas) } : {}),
      })
    },
  )
}
