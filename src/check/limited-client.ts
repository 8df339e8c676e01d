/**
 * A client whose requests run at most `max` at a time. Requests beyond that
 * wait for a free keep-alive connection instead of opening a new one: a TLS
 * handshake costs more (on both ends) than waiting one round trip.
 */
import type { KubeClient, KubeObject, ListOptions } from '../kube/client.js';
import type { ResourceRef } from '../kube/resources.js';

export class LimitedClient {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly client: KubeClient,
    private readonly max: number,
  ) {}

  /** Until the first answer, one request at a time: later connections resume its TLS session. */
  private warm = false;

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= (this.warm ? this.max : 1)) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (!this.warm) {
        this.warm = true;
        // Wake as many waiters as there are free slots now.
        for (let free = this.max - this.active; free > 0 && this.queue.length > 0; free--) this.queue.shift()!();
      } else {
        this.queue.shift()?.();
      }
    }
  }

  get<T = KubeObject>(ref: ResourceRef): Promise<T> {
    return this.slot(() => this.client.get<T>(ref));
  }

  getIfExists<T = KubeObject>(ref: ResourceRef): Promise<T | undefined> {
    return this.slot(() => this.client.getIfExists<T>(ref));
  }

  list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<T[]> {
    return this.slot(() => this.client.list<T>(ref, options));
  }

  create<T = KubeObject>(ref: ResourceRef, body: unknown): Promise<T> {
    return this.slot(() => this.client.create<T>(ref, body));
  }

  call<T>(method: string, ref: ResourceRef, opts: Parameters<KubeClient['call']>[2] = {}): Promise<T> {
    return this.slot(() => this.client.call<T>(method, ref, opts));
  }
}
