/**
 * A loopback TCP proxy whose target can be moved: a database URL that follows a failover (what a
 * DNS name, a virtual IP or a pooler gives operators). Moving it leaves open connections on the
 * old target, as the real thing does; `close` ends everything.
 */
import net from 'node:net'

export interface TcpProxy {
  readonly port: number
  /** new connections go to this port from now on */
  retarget(port: number): void
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    retarget(port) {
      target = port
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
