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
  async greet(name: string): Promise<string> {
    return `Hello, ${name}`;
  }

  async sendPostcard(card: Postcard): Promise<Postcard> {
    return card;
  }
}
