import { DurableObject } from 'cloudflare:workers';

export class TraceAssembler extends DurableObject<Env> {
  async ping(): Promise<string> {
    return 'pong';
  }
}
