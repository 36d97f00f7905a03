/**
 * The greeter from the original meshRPC README: a plain interface and a class. Nothing here
 * knows about the network; `greeter.mesh.ts` (generated) makes it callable across processes.
 */
export interface Postcard {
  pictureURL?: string;
  address: string;
  recipient: string;
  message: string;
}

export interface GreeterService {
  greet(name: string): Promise<string>;
  sendPostcard(card: Postcard): Promise<Postcard>;
}

export class Greeter implements GreeterService {
  /** An optional instance label, appended to greetings so callers can see who answered. */
  constructor(private readonly instance?: string) {}

  async greet(name: string): Promise<string> {
    return this.instance ? `Hello, ${name} (from ${this.instance})` : `Hello, ${name}`;
  }

  async sendPostcard(card: Postcard): Promise<Postcard> {
    return card;
  }
}
